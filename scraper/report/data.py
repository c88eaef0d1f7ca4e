"""What the crawl report shows, from the crawl state's run history and the corpus manifest.

Scrapy-free. The manifest is read as a stream: only a word count per article id and the
latest articles are held, so a corpus of any size is read in constant memory per article.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from corpus.store import read_manifest
from scraper.attention import attention_reasons

EXAMPLES_PER_REASON = 3


class RunHistory(Protocol):
    """The run figures a crawl state keeps (SQLite or Redis)."""

    def recent_runs(self, source: str, count: int) -> list[dict[str, Any]]: ...

    def last_run(self, source: str) -> tuple[str, dict[str, Any]] | None: ...

    def runs_since(self, source: str, since: str) -> list[tuple[str, dict[str, Any]]]: ...


@dataclass(frozen=True)
class SourceInfo:
    """A configured source as the report names it."""

    name: str
    url: str = ""
    enabled: bool = True


@dataclass
class SourceReport:
    """One source: its runs in the period added up, its verdict and its corpus articles."""

    name: str
    url: str = ""
    configured: bool = False
    enabled: bool = True
    last_run: str | None = None
    runs: int = 0
    discovered: int = 0
    known: int = 0
    fetched: int = 0
    status: Counter[str] = field(default_factory=Counter)
    written: int = 0
    updated: int = 0
    filtered: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    errors: int = 0
    attention: list[str] = field(default_factory=list)
    articles: int = 0
    words: int = 0

    def add_run(self, figures: dict[str, Any]) -> None:
        """Add one run's figures (runs come newest first: their examples are kept first)."""
        self.runs += 1
        for name in ("discovered", "known", "fetched", "written", "updated", "errors"):
            setattr(self, name, getattr(self, name) + int(figures.get(name) or 0))
        self.status.update(figures.get("status") or {})
        self.filtered.update(figures.get("filtered") or {})
        for reason, urls in (figures.get("examples") or {}).items():
            kept = self.examples.setdefault(reason, [])
            kept.extend(url for url in urls if url not in kept)
            del kept[EXAMPLES_PER_REASON:]


@dataclass(frozen=True)
class LatestArticle:
    """A recently written corpus article."""

    id: int
    title: str
    url: str
    source: str
    language: str
    words: int
    published: str
    fetched_at: str

    @property
    def timestamp(self) -> str:
        """The capture time as pywb addresses it (``YYYYMMDDhhmmss``)."""
        return "".join(c for c in self.fetched_at[:19] if c.isdigit())


@dataclass
class Report:
    """Everything the report page shows."""

    generated: datetime
    days: list[str]
    sources: dict[str, SourceReport]
    per_day: dict[str, Counter[str]]
    articles: int = 0
    words: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    latest: list[LatestArticle] = field(default_factory=list)

    @property
    def since(self) -> str:
        return self.days[0]


def period_days(now: datetime, days: int) -> list[str]:
    """The ``days`` calendar days (UTC, ISO dates) ending with ``now``'s."""
    today = now.astimezone(UTC).date()
    return [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def gather(
    corpus: str | os.PathLike[str],
    state: RunHistory | None,
    sources: Iterable[SourceInfo],
    *,
    now: datetime,
    days: int = 30,
    latest: int = 50,
    only: set[str] | None = None,
    idle_runs: int = 5,
    min_responses: int = 5,
) -> Report:
    """Gather the report over the ``days`` days ending at ``now``; ``only`` keeps those sources."""
    report = Report(now, period_days(now, max(1, days)), {}, {})
    for info in sources:
        if only is None or info.name in only:
            report.sources[info.name] = SourceReport(info.name, info.url, True, info.enabled)
    _read_manifest(report, corpus, latest, only)
    for source in report.sources.values():
        if state is not None:
            _read_runs(source, state, report.since, idle_runs, min_responses)
    report.sources = dict(sorted(report.sources.items()))
    return report


def _read_runs(
    source: SourceReport, state: RunHistory, since: str, idle_runs: int, min_responses: int
) -> None:
    last = state.last_run(source.name)
    if last is None:
        return
    source.last_run, figures = last
    for _, run in state.runs_since(source.name, since):
        source.add_run(run)
    history = state.recent_runs(source.name, idle_runs + 1)[1:]
    source.attention = attention_reasons(figures, history, idle_runs, min_responses)
    if source.last_run < since:
        source.attention.append(f"no run since {source.last_run[:10]}")


def _read_manifest(
    report: Report, corpus: str | os.PathLike[str], latest: int, only: set[str] | None
) -> None:
    words_of: dict[int, int] = {}  # the words of each article's last manifest line
    newest = _Newest(latest)
    period = set(report.days)
    for entry in read_manifest(corpus, typed=True):
        name = entry.get("source") or ""
        if only is not None and name not in only:
            continue
        source = report.sources.get(name) or report.sources.setdefault(name, SourceReport(name))
        number = int(entry["id"])
        words = int(entry.get("words") or 0)
        fetched_at = entry.get("fetched_at") or ""
        before = words_of.get(number)
        if before is None:
            report.articles += 1
            source.articles += 1
            report.languages[entry.get("language") or "?"] += 1
            day = fetched_at[:10]
            if day in period:
                report.per_day.setdefault(name, Counter())[day] += 1
            before = 0
        report.words += words - before
        source.words += words - before
        words_of[number] = words
        newest.offer(number, fetched_at, entry)
    report.latest = newest.articles()


class _Newest:
    """The ``count`` articles with the latest ``fetched_at``, from a stream of manifest lines."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.kept: dict[int, tuple[str, dict[str, Any]]] = {}
        self.floor = ""

    def offer(self, number: int, fetched_at: str, entry: dict[str, Any]) -> None:
        if self.count <= 0 or (fetched_at < self.floor and number not in self.kept):
            return
        self.kept[number] = (fetched_at, entry)
        if len(self.kept) >= 2 * self.count:
            self._prune()

    def _prune(self) -> None:
        ranked = sorted(self.kept.items(), key=lambda item: item[1][0], reverse=True)[: self.count]
        self.kept = dict(ranked)
        self.floor = ranked[-1][1][0] if len(ranked) == self.count else ""

    def articles(self) -> list[LatestArticle]:
        self._prune()
        return [
            LatestArticle(
                number,
                str(entry.get("title") or ""),
                str(entry.get("url") or ""),
                str(entry.get("source") or ""),
                str(entry.get("language") or ""),
                int(entry.get("words") or 0),
                str(entry.get("published") or ""),
                fetched_at,
            )
            for number, (fetched_at, entry) in self.kept.items()
        ]
