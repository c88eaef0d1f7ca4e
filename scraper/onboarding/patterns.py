"""Propose an ``article_pattern``: a regex over URLs that the sampled articles share.

Article URLs are grouped by their number of path segments. Each segment position
becomes the narrowest class that covers every sample: a word the samples share
stays literal, numbers become ``\\d{4}``, ``\\d{1,2}`` or ``\\d+``, slugs ``[^/]+-[^/]+-[^/]+``.
The last segment never stays literal, so the pattern reaches articles not sampled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from scraper.linear import compile_linear

URL_START = r"^https?://[^/]+"
URL_END = r"/?(?:\?|$)"
ANY = r"[^/]+"
SLUG = r"[^/]+-[^/]+-[^/]+"
LONG_NUMBER = r"[^/]*\d{5,}[^/]*"
MAX_ALTERNATIVES = 3

_WORD = re.compile(r"[A-Za-z_]+")
_EXTENSION = re.compile(r"\.(s?html?|php|aspx?)$", re.IGNORECASE)


def segments(url: str) -> list[str]:
    """The non-empty path segments of ``url``."""
    return [part for part in urlsplit(url).path.split("/") if part]


def _segment_class(values: Sequence[str], last: bool) -> str:
    """The narrowest regex that matches each of ``values`` at one position."""
    if len(set(values)) == 1 and _WORD.fullmatch(values[0]) and not last:
        return re.escape(values[0])
    if all(value.isdigit() for value in values):
        lengths = {len(value) for value in values}
        return r"\d{4}" if lengths == {4} else r"\d{1,2}" if max(lengths) <= 2 else r"\d+"
    if all(value.count("-") >= 2 for value in values):
        return SLUG
    if all(re.search(r"\d{5,}", value) for value in values):
        return LONG_NUMBER
    extensions = {_extension(value) for value in values}
    if len(extensions) == 1 and None not in extensions:
        return ANY + re.escape(extensions.pop() or "")
    return ANY


def _extension(value: str) -> str | None:
    match = _EXTENSION.search(value)
    return match.group(0) if match else None


def _template(paths: list[list[str]], literal: bool = False) -> str:
    """One path template for paths of equal length; ``literal`` keeps what two or more share."""
    parts = []
    for index, values in enumerate(zip(*paths)):
        if literal and len(paths) > 1 and len(set(values)) == 1:
            parts.append(re.escape(values[0]))
        else:
            parts.append(_segment_class(values, last=index == len(paths[0]) - 1))
    return "/" + "/".join(parts)


def _assemble(templates: list[str]) -> str:
    body = templates[0] if len(templates) == 1 else "(?:" + "|".join(templates) + ")"
    return URL_START + body + URL_END


def propose_pattern(articles: Iterable[str], non_articles: Iterable[str]) -> str | None:
    """A regex matching every URL of ``articles`` and none of ``non_articles``, or ``None``."""
    groups: dict[int, list[list[str]]] = {}
    for url in articles:
        path = segments(url)
        if path:
            groups.setdefault(len(path), []).append(path)
    if not groups or len(groups) > MAX_ALTERNATIVES:
        return None
    ordered = [groups[length] for length in sorted(groups)]
    negatives = list(non_articles)
    for literal in (False, True):
        pattern = _assemble([_template(paths, literal) for paths in ordered])
        compiled = compile_linear(pattern)
        if not any(compiled.search(url) for url in negatives):
            return pattern
    return None
