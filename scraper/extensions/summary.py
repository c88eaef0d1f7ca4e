"""Log a summary per source when the crawl ends."""

from __future__ import annotations

import logging
from collections import Counter
from urllib.parse import urlsplit
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider, signals
from scrapy.http import Response

from scraper.exitcodes import FAILED, MEANINGS, PARTIAL, STAT, crawl_exit_code, source_failed
from scraper.extensions.crawlstate import crawl_state
from scraper.failures import REASON_STAT
from scraper.state import StateWriteFailed
from scraper.sources import source_for_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

BLOCKING_STATUSES = ("403", "429")
ROBOTS_PATH = "/robots.txt"


def is_answer(response: Response, request: Request) -> bool:
    """Whether the response is a page the source served: 2xx or 304, robots.txt aside."""
    served = 200 <= response.status < 300 or response.status == 304
    return served and urlsplit(request.url).path != ROBOTS_PATH


def attention_reasons(
    figures: dict[str, Any], history: list[dict[str, Any]], idle_runs: int, min_responses: int
) -> list[str]:
    """Say why a source needs a look, from this run's figures and earlier runs' (newest first)."""
    reasons = []
    runs = [figures, *history][:idle_runs]
    if idle_runs and len(runs) == idle_runs and not any(run.get("written") for run in runs):
        reasons.append(f"no new article in {idle_runs} runs in a row")
    status: dict[str, int] = figures.get("status", {})
    fetched = sum(status.values())
    refused = sum(n for code, n in status.items() if code in BLOCKING_STATUSES or code.startswith("5"))
    if fetched >= min_responses and refused * 2 > fetched:
        reasons.append(f"{refused} of {fetched} responses were 403, 429 or 5xx")
    filtered: dict[str, int] = figures.get("filtered", {})
    judged = figures.get("written", 0) + sum(filtered.values())
    empty = filtered.get("empty", 0)
    if judged >= min_responses and empty * 2 > judged:
        reasons.append(f"{empty} of {judged} article pages extracted to nothing")
    return reasons


def summary_line(figures: dict[str, Any]) -> str:
    """One source's figures as the summary prints them."""
    status = " ".join(f"{code}:{count}" for code, count in figures["status"].items()) or "-"
    filtered = " ".join(f"{k}:{v}" for k, v in figures["filtered"].items()) or "-"
    return (
        f"discovered {figures['discovered']} ({figures['known']} known), fetched {figures['fetched']} ({status}), "
        f"written {figures['written']}, updated {figures['updated']}, filtered {filtered}, errors {figures['errors']}"
    )


class SourceSummary:
    """Count responses (redirects included) per source and status; log them at the end.

    The spider and pipelines count ``news/<source>/discovered``, ``written``,
    ``filtered/<reason>`` and ``errors``; this extension adds ``fetched``,
    ``status/<code>`` and ``answered`` (pages served), prints them all, and leaves
    the run's exit code (:mod:`scraper.exitcodes`) in the ``news/exit_code`` stat.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.idle_runs = crawler.settings.getint("ATTENTION_IDLE_RUNS", 5)
        self.min_responses = crawler.settings.getint("ATTENTION_MIN_RESPONSES", 5)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceSummary:
        extension = cls(crawler)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _source_of(self, request: Request, spider: Spider) -> str | None:
        name = request.meta.get("source")
        if name:
            return name
        source = source_for_url(getattr(spider, "sources", {}).values(), request.url)
        return source.name if source else None

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        name = self._source_of(request, spider)
        if name:
            self.stats.inc_value(f"news/{name}/fetched")
            self.stats.inc_value(f"news/{name}/status/{response.status}")
            if is_answer(response, request):
                self.stats.inc_value(f"news/{name}/answered")

    def figures(self, name: str) -> dict[str, Any]:
        """Return the summary figures of one source."""
        prefix = f"news/{name}/"
        values = {k[len(prefix):]: v for k, v in self.stats.get_stats().items() if k.startswith(prefix)}
        return {
            "discovered": values.get("discovered", 0),
            "known": values.get("known", 0),
            "fetched": values.get("fetched", 0),
            "answered": values.get("answered", 0),
            "status": dict(sorted(Counter({k[7:]: v for k, v in values.items() if k.startswith("status/")}).items())),
            "written": values.get("written", 0),
            "updated": values.get("updated", 0),
            "filtered": {k[9:]: v for k, v in sorted(values.items()) if k.startswith("filtered/")},
            "errors": sum(v for k, v in values.items() if k == "errors" or k.startswith("errors/")),
        }

    def spider_closed(self, spider: Spider, reason: str) -> None:
        figures = {name: self.figures(name) for name in getattr(spider, "sources", {})}
        code = crawl_exit_code(self.stats.get_value(REASON_STAT) or reason, figures)
        self.stats.set_value(STAT, code)
        lines = [f"Crawl finished ({reason}). Summary per source:"]
        lines += [f"  {name}: {summary_line(figures[name])}" for name in figures]
        failed = [name for name in figures if source_failed(figures[name])]
        outcome = f"Exit code {code}: {MEANINGS[code]}"
        lines.append(outcome + (f" ({', '.join(failed)})" if code in (PARTIAL, FAILED) else ""))
        logger.log(logging.WARNING if code else logging.INFO, "\n".join(lines))
        self._report_attention(spider)

    def _report_attention(self, spider: Spider) -> None:
        state = crawl_state(self.crawler)
        started = self.stats.get_value("start_time")
        run = started.isoformat() if started else ""
        for name in getattr(spider, "sources", {}):
            figures = self.figures(name)
            history = state.recent_runs(name, self.idle_runs) if state else []
            if state:
                try:
                    state.record_run(run, name, figures)
                except StateWriteFailed as error:
                    logger.error("The figures of this run were not kept: %s", error)
                    state = None
            for reason in attention_reasons(figures, history, self.idle_runs, self.min_responses):
                self.stats.inc_value(f"news/{name}/attention")
                logger.warning("Source %s needs attention: %s", name, reason)
