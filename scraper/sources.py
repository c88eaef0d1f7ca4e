"""Load and validate ``sources.toml``: the configured news sources."""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import SelectorError
from w3lib.url import safe_url_string

from corpus.boilerplate import compiled_selector
from corpus.filters import TopicFilter
from corpus.options import HEADLINE_CHOICES, ExtractionOptions
from corpus.urls import same_site
from scraper.linear import Pattern, compile_linear

NAME = re.compile(r"^[a-z0-9-]+$")


class SourcesError(ValueError):
    """A sources file that cannot be used; the message names file, line and field."""


def check_url(value: Any) -> str:
    """Return ``value`` as the URL Scrapy asks for if it is an absolute http(s) URL with a
    host; raise otherwise. A Unicode host becomes its IDNA (punycode) form."""
    if not isinstance(value, str):
        raise TypeError("must be a string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or any(c.isspace() for c in parts.netloc):
        raise ValueError(f"{value!r}: the host or port is not valid (ports are 1 to 65535)")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"{parts.scheme}://{parts.hostname}/: a user name or password in the URL is refused"
        )
    if parts.hostname.isascii():
        return value
    safe = safe_url_string(value)
    if not (urlsplit(safe).hostname or "").isascii():
        raise ValueError(
            f"{value!r}: the host {parts.hostname!r} is not a valid internationalised domain name"
        )
    return safe


def site_key(url: str) -> str:
    """The site a source URL names: host (``www.`` aside), port and path; two sources must not
    share one."""
    parts = urlsplit(url)
    return (
        (parts.hostname or "").removeprefix("www.")
        + f":{parts.port or ''}"
        + parts.path.rstrip("/")
    )


# --- checks of one field's value, after its type; each returns the value to keep ---------


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError(f"{value!r} must match [a-z0-9-]+")
    return value


def _urls(value: list[Any]) -> list[str]:
    return [check_url(item) for item in value]


def _keyword_groups(value: list[Any]) -> list[list[str]]:
    if all(isinstance(term, str) for term in value):
        groups = [list(value)] if value else []
    elif all(isinstance(group, list) and all(isinstance(t, str) for t in group) for group in value):
        groups = [list(group) for group in value]
    else:
        raise TypeError("must be a list of strings or a list of lists of strings")
    if any(not group for group in groups):
        raise ValueError("holds an empty group, which no article could match")
    if any(not term.strip() for group in groups for term in group):
        raise ValueError("holds an empty term")
    return groups


def _strings(value: str | list[Any]) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise TypeError("must hold strings")
    return items


def _regexes(value: str | list[Any]) -> str | list[Any]:
    for pattern in _strings(value):
        compile_linear(pattern)
    return value


def _selectors(value: str | list[Any]) -> str | list[Any]:
    for selector in _strings(value):
        try:
            compiled_selector(selector)
        except SelectorError as error:
            raise ValueError(f"invalid CSS selector {selector!r}: {error}") from None
    return value


def _headline(value: str) -> str:
    if value not in HEADLINE_CHOICES:
        raise ValueError(f"{value!r} is not one of {', '.join(map(repr, HEADLINE_CHOICES))}")
    return value


def _not_negative(value: int) -> int:
    if value < 0:
        raise ValueError("must not be negative")
    return value


#: The most days a span in ``sources.toml`` can name: further back, dates leave the calendar.
MAX_DAYS = 36_500


def _days(value: int) -> int:
    if not 0 <= value <= MAX_DAYS:
        raise ValueError(f"must be from 0 to {MAX_DAYS:,} (a hundred years)")
    return value


def _spec(kind: type, check: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """A ``sources.toml`` field's metadata: the TOML type it takes and the check of its value."""
    return {"kind": kind, "check": check}


@dataclass
class Source:
    """One configured news source; its fields are the schema of a ``[[source]]`` table."""

    name: str = field(metadata=_spec(str, _name))
    url: str = field(metadata=_spec(str, check_url))
    language: str | None = field(default=None, metadata=_spec(str))
    feeds: list[str] = field(default_factory=list, metadata=_spec(list, _urls))
    sitemaps: list[str] = field(default_factory=list, metadata=_spec(list, _urls))
    start_urls: list[str] = field(default_factory=list, metadata=_spec(list, _urls))
    article_pattern: str | None = field(default=None, metadata=_spec(str, _regexes))
    deny: list[str] = field(default_factory=list, metadata=_spec(list, _regexes))
    keywords: list[list[str]] = field(default_factory=list, metadata=_spec(list, _keyword_groups))
    max_age_days: int | None = field(default=None, metadata=_spec(int, _days))
    enabled: bool = field(default=True, metadata=_spec(bool))
    # None: the CORPUS_MIN_WORDS setting
    min_words: int | None = field(default=None, metadata=_spec(int, _not_negative))
    max_section_pages: int = field(default=5, metadata=_spec(int, _not_negative))
    recrawl_after_days: int | None = field(default=None, metadata=_spec(int, _days))
    body_selector: str | None = field(default=None, metadata=_spec(str, _selectors))
    exclude_selectors: list[str] = field(default_factory=list, metadata=_spec(list, _selectors))
    headline: str = field(default="auto", metadata=_spec(str, _headline))
    standfirst: bool = field(default=True, metadata=_spec(bool))
    # Discovery limits (scraper.limits); None takes the setting's default.
    max_sitemap_depth: int | None = field(default=None, metadata=_spec(int, _not_negative))
    max_sitemaps: int | None = field(default=None, metadata=_spec(int, _not_negative))
    max_sitemap_urls: int | None = field(default=None, metadata=_spec(int, _not_negative))
    max_articles: int | None = field(default=None, metadata=_spec(int, _not_negative))

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def site_key(self) -> str:
        """The site this source crawls (see :func:`site_key`)."""
        return site_key(self.url)

    @cached_property
    def topic(self) -> TopicFilter:
        """The ``keywords`` filter, compiled once."""
        return TopicFilter(self.keywords)

    @cached_property
    def deny_regexes(self) -> list[Pattern]:
        return [compile_linear(pattern) for pattern in self.deny]

    def is_denied(self, url: str) -> bool:
        return any(pattern.search(url) for pattern in self.deny_regexes)

    @cached_property
    def article_regex(self) -> Pattern | None:
        return compile_linear(self.article_pattern) if self.article_pattern else None

    def takes_article(self, url: str, default_pattern: Pattern | None = None) -> bool:
        """Whether ``url`` is one of this source's articles: on its site, not denied, and
        matching ``article_pattern`` (else ``default_pattern``, when given)."""
        pattern = self.article_regex or default_pattern
        return (
            same_site(url, self.host)
            and not self.is_denied(url)
            and not (pattern and not pattern.search(url))
        )

    def is_too_old(self, modified: datetime | None) -> bool:
        """Whether ``max_age_days`` keeps the crawl from a page dated ``modified``."""
        if self.max_age_days is None or modified is None:
            return False
        return modified < datetime.now(UTC) - timedelta(days=self.max_age_days)

    def extraction_options(self) -> ExtractionOptions:
        """Extraction options carrying this source's CSS selectors, headline and standfirst choices."""
        return ExtractionOptions(
            body_selector=self.body_selector,
            exclude_selectors=tuple(self.exclude_selectors),
            headline=self.headline,
            standfirst=self.standfirst,
        )


FIELDS = {spec.name: spec for spec in dataclasses.fields(Source)}
REQUIRED_FIELDS = tuple(
    name
    for name, spec in FIELDS.items()
    if spec.default is MISSING and spec.default_factory is MISSING
)


class _Locator:
    """Find the line of a ``[[source]]`` entry, of one of its fields, or of a top-level key."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [
            number
            for number, line in enumerate(self.lines, 1)
            if re.match(r"^\s*\[\[\s*source\s*\]\]", line)
        ]
        self.defaults = self.top("defaults")

    def top(self, key: str) -> int | None:
        """The first line that sets top-level ``key``, as ``key = ...`` or a ``[key]`` table."""
        name = _key_pattern(key)
        return next(
            (
                number
                for number, line in enumerate(self.lines, 1)
                if re.match(rf"^\s*(\[\s*{name}\s*[\].]|{name}\s*[=.])", line)
            ),
            None,
        )

    def line(self, index: int | None, key: str | None = None) -> int | None:
        start = (
            self.defaults
            if index is None
            else self.headers[index]
            if index < len(self.headers)
            else None
        )
        if start is None:
            return None
        if key is None:
            return start
        table = r"defaults" if index is None else r"source"
        name = _key_pattern(key)
        for number in range(start + 1, len(self.lines) + 1):
            text = self.lines[number - 1]
            if re.match(rf"^\s*\[\s*{table}\s*\.\s*{name}\s*[\].]", text):
                return number  # the field is a sub-table: [source.KEY]
            if re.match(rf"^\s*\[\s*{table}\s*\.", text):
                continue  # another sub-table of the same entry
            if re.match(r"^\s*\[", text):
                break
            if re.match(rf"^\s*{name}\s*[=.]", text):
                return number
        return start


def _key_pattern(key: str) -> str:
    """A TOML key as a regex: bare, or in double or single quotes."""
    escaped = re.escape(key)
    return rf"(?:{escaped}|\"{escaped}\"|'{escaped}')"


def _check_field(key: str, value: Any) -> Any:
    """Return ``value`` checked and normalised for field ``key``; raise on a bad one."""
    spec = FIELDS.get(key)
    if spec is None:
        close = difflib.get_close_matches(key, FIELDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown field{hint} (known: {', '.join(sorted(FIELDS))})")
    expected = spec.metadata["kind"]
    if expected is int and isinstance(value, bool) or not isinstance(value, expected):
        raise TypeError(f"must be {expected.__name__}, not {type(value).__name__}")
    check = spec.metadata["check"]
    return check(value) if check else value


def _message(error: Exception) -> str:
    return str(error.args[0]) if isinstance(error, KeyError) else str(error)


def _fail(path: Path, line: int | None, where: str, message: str) -> SourcesError:
    at = f"{path}:{line}" if line else str(path)
    return SourcesError(f"{at}: {where}: {message}")


def parse_sources(text: str, path: str | Path = "sources.toml") -> list[Source]:
    """Parse and validate the text of a sources file."""
    path = Path(path)
    locate = _Locator(text)
    data = _read_toml(text, path, locate)
    defaults = _checked_defaults(data.get("defaults", {}), path, locate)
    entries = data.get("source", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise _fail(path, locate.top("source"), "source", "use [[source]] tables")
    return _checked_sources(entries, defaults, path, locate)


def _read_toml(text: str, path: Path, locate: _Locator) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        raise _fail(
            path, int(match.group(1)) if match else None, "syntax error", str(error)
        ) from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables by recursion.
        raise _fail(path, None, "syntax error", "arrays or tables nested too deeply") from None
    unknown = sorted(set(data) - {"defaults", "source"})
    if unknown:
        raise _fail(
            path,
            locate.top(unknown[0]),
            "top level",
            f"unknown table(s) {', '.join(unknown)}; expected [defaults] and [[source]]",
        )
    return data


def _checked_defaults(defaults: Any, path: Path, locate: _Locator) -> dict[str, Any]:
    if not isinstance(defaults, dict):
        raise _fail(path, locate.top("defaults"), "defaults", "must be a table")
    checked: dict[str, Any] = {}
    for key, value in defaults.items():
        label = f"[defaults] field {key!r}"
        if key in REQUIRED_FIELDS:
            raise _fail(path, locate.line(None, key), label, "only a source can set it")
        try:
            checked[key] = _check_field(key, value)
        except (KeyError, TypeError, ValueError) as error:
            raise _fail(path, locate.line(None, key), label, _message(error)) from None
    return checked


def _checked_sources(
    entries: list[Any], defaults: dict[str, Any], path: Path, locate: _Locator
) -> list[Source]:
    sources: list[Source] = []
    names: dict[str, int] = {}
    sites: dict[str, str] = {}  # site_key -> name
    for index, entry in enumerate(entries):
        label = f"source {entry.get('name', f'#{index + 1}')!r}"
        for key in REQUIRED_FIELDS:
            if key not in entry:
                raise _fail(path, locate.line(index), label, f"missing required field {key!r}")
        fields = dict(defaults)
        for key, value in entry.items():
            try:
                fields[key] = _check_field(key, value)
            except (KeyError, TypeError, ValueError) as error:
                raise _fail(
                    path, locate.line(index, key), f"{label} field {key!r}", _message(error)
                ) from None
        if fields["name"] in names:
            first = names[fields["name"]] + 1
            raise _fail(
                path,
                locate.line(index, "name"),
                label,
                f"duplicate name (first at source #{first})",
            )
        source = Source(**fields)
        if source.site_key in sites:
            other = sites[source.site_key]
            raise _fail(path, locate.line(index, "url"), label, f"same site as source {other!r}")
        names[source.name] = index
        sites[source.site_key] = source.name
        sources.append(source)
    return sources


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate the sources file at ``path``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourcesError(f"{path}: no such sources file") from None
    except OSError as error:
        raise SourcesError(f"{path}: cannot read: {error}") from None
    try:
        text = data.decode("utf-8-sig")  # an editor's byte order mark is no statement
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourcesError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[error.start]:02x}): "
            "a TOML file must be saved as UTF-8"
        ) from None
    return parse_sources(text, path)


def select_sources(sources: list[Source], names: str | None) -> list[Source]:
    """Return the enabled sources, or those named in a comma-separated ``names``."""
    if names is None:
        return [source for source in sources if source.enabled]
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    if not wanted:
        configured = ", ".join(source.name for source in sources)
        raise SourcesError(f"source={names!r} names no source (configured: {configured})")
    known = {source.name: source for source in sources}
    missing = [name for name in wanted if name not in known]
    if missing:
        raise SourcesError(
            f"unknown source(s): {', '.join(missing)} (configured: {', '.join(known)})"
        )
    return [known[name] for name in wanted]


def source_for_url(sources: Iterable[Source], url: str) -> Source | None:
    """The configured source whose site ``url`` is on; of several, the one with the longest URL."""
    on_site = [source for source in sources if same_site(url, source.host)]
    return max(on_site, key=lambda source: len(source.url), default=None)
