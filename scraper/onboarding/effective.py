"""Show the configuration a source is judged with, and warn when it would let no sample in."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from scraper.onboarding.findings import SampledPage
from scraper.sources import Source

# The fields of a source that decide what enters the corpus, in the order they are shown.
JUDGING_FIELDS = (
    "language",
    "keywords",
    "min_words",
    "max_age_days",
    "deny",
    "body_selector",
    "exclude_selectors",
)


def inherited_fields(
    path: Path, own: Iterable[str] | None = None, name: str | None = None
) -> set[str]:
    """The ``[defaults]`` fields of the sources file at ``path`` that a source inherits: one
    setting the fields ``own``, or the configured source ``name``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return set()
    defaults = data.get("defaults", {})
    if name is not None:
        own = next((entry for entry in data.get("source", []) if entry.get("name") == name), {})
    return set(defaults) - set(own or ()) if isinstance(defaults, dict) else set()


def describe_configuration(source: Source, inherited: Iterable[str]) -> list[str]:
    """The judging fields of ``source``, those it inherits from ``[defaults]`` marked."""
    inherited = set(inherited)
    lines = ["  judged with the configuration the crawl will use:"]
    for name in JUDGING_FIELDS:
        value = getattr(source, name)
        if name == "keywords" and not value:
            shown = "none: every topic is kept"
        elif value in (None, [], ""):
            continue
        else:
            shown = json.dumps(value, ensure_ascii=False)
        origin = "  (from [defaults])" if name in inherited else ""
        lines.append(f"    {name:<17} {shown}{origin}")
    return lines


def nothing_kept_warning(samples: list[SampledPage]) -> str | None:
    """A warning when not one sampled page would enter the corpus; None when some would."""
    if not samples or any(page.verdict is None and page.status == 200 for page in samples):
        return None
    reasons = Counter(
        page.verdict or (f"HTTP {page.status}" if page.status else "error") for page in samples
    )
    counted = ", ".join(f"{reason} {count}" for reason, count in reasons.most_common())
    hint = (
        ": widen the keywords (--keywords, or the [defaults] keywords in the sources file)"
        if "off-topic" in reasons
        else ""
    )
    return (
        f"warning: none of the {len(samples)} sampled pages would enter the corpus ({counted}); "
        f"a crawl of this source would write nothing{hint}"
    )
