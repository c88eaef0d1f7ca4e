"""Log a summary per source when the crawl ends."""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.http import Response

from scraper import meta
from scraper.attention import attention_reasons
from scraper.crawlsources import Sources
from scraper.exitcodes import (
    FAILED,
    IO_ERROR,
    MEANINGS,
    OK,
    PARTIAL,
    SHUTDOWN,
    START_ERROR,
    STAT,
    crawl_exit_code,
    limit_reached,
    source_failed,
)
from scraper.extensions.crawlstate import crawl_state
from scraper.extensions.report import ReportExtension
from scraper.failures import NOT_SENT_STAT, POOL_RESTARTS_STAT, REASON_STAT, in_scheduler
from scraper.signals import article_filtered
from scraper.state import StateWriteFailed

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from twisted.python.failure import Failure

    from scraper.statestore import CrawlStateStore

logger = logging.getLogger(__name__)

ROBOTS_PATH = "/robots.txt"
#: What each ``cut/<what>`` count of the spider's discovery limits left out, for the summary.
CUT_LABELS = {
    "articles": "new article(s) (max_articles)",
    "sitemaps": "sitemap(s) (max_sitemaps)",
    "sitemap_depth": "sitemap(s) too deep (max_sitemap_depth)",
    "sitemap_urls": "sitemap(s) read in part (max_sitemap_urls)",
}
EXAMPLES_PER_REASON = 3  # URLs kept per filter reason and source, for the report


def is_answer(status: int, url: str) -> bool:
    """Whether a response of ``status`` to a request for ``url`` is a page the source served:
    2xx or 304, robots.txt aside."""
    served = 200 <= status < 300 or status == 304
    return served and urlsplit(url).path != ROBOTS_PATH


def count_response(stats: StatsCollector, source: str, status: int, url: str) -> None:
    """Count a response of ``source`` to a request for ``url``: ``fetched``, ``status/<code>``
    and, for a page it served, ``answered`` (the exit code reads it)."""
    stats.inc_value(f"news/{source}/fetched")
    stats.inc_value(f"news/{source}/status/{status}")
    if is_answer(status, url):
        stats.inc_value(f"news/{source}/answered")


def summary_line(figures: dict[str, Any]) -> str:
    """One source's figures as the summary prints them."""
    status = " ".join(f"{code}:{count}" for code, count in figures["status"].items()) or "-"
    filtered = " ".join(f"{k}:{v}" for k, v in figures["filtered"].items()) or "-"
    cut = " ".join(f"{k}:{v}" for k, v in figures.get("cut", {}).items())
    return (
        f"discovered {figures['discovered']} ({figures['known']} known), "
        + (f"recrawled {figures['recrawled']}, " if figures.get("recrawled") else "")
        + f"fetched {figures['fetched']} ({status}), "
        f"written {figures['written']}, updated {figures['updated']}, filtered {filtered}, errors {figures['errors']}"
        + (f", cut by limits {cut}" if cut else "")
    )


#: Errors the archive's own code logged during the run (``archive.*`` loggers).
ARCHIVE_ERRORS = "archive/errors"


class ArchiveErrors(logging.Handler):
    """Counts the errors the archive's code logs (a damaged span of a WARC file passed over, a
    file with no whole record, an index not written) in :data:`ARCHIVE_ERRORS`: that code
    knows no crawler, and what it lost must reach the exit code."""

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(logging.ERROR)
        self.stats = stats

    def emit(self, record: logging.LogRecord) -> None:
        self.stats.inc_value(ARCHIVE_ERRORS)

    def attach(self) -> None:
        logging.getLogger("archive").addHandler(self)

    def detach(self) -> None:
        logging.getLogger("archive").removeHandler(self)


class SourceSummary:
    """Count responses (redirects included) per source and status; log them at the end.

    The spider and pipelines count ``news/<source>/discovered``, ``written``,
    ``filtered/<reason>`` and ``errors``; this extension adds ``fetched``,
    ``status/<code>`` and ``answered`` (pages served), keeps the first URLs of each
    filter reason (``article_filtered``), records the figures in the crawl state, has
    the report written (``REPORT_ENABLED``), prints them all, and leaves the run's exit
    code (:mod:`scraper.exitcodes`) in the ``news/exit_code`` stat.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive_errors = ArchiveErrors(crawler.stats)
        self.sources = Sources.from_crawler(crawler)
        self.idle_runs = crawler.settings.getint("ATTENTION_IDLE_RUNS")
        self.min_responses = crawler.settings.getint("ATTENTION_MIN_RESPONSES")
        self.examples: dict[str, dict[str, list[str]]] = {}
        self.final_lines: list[
            tuple[int, str]
        ] = []  # (level, message) logged when the engine stops

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceSummary:
        extension = cls(crawler)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.article_filtered, signal=article_filtered)
        crawler.signals.connect(extension.spider_error, signal=signals.spider_error)
        extension.archive_errors.attach()  # before the spider opens: the WARC repair logs then
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def _source_of(self, request: Request, spider: Spider) -> str | None:
        name = request.meta.get(meta.SOURCE)
        if name:
            return name
        source = self.sources.for_url(request.url)
        return source.name if source else None

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        name = self._source_of(request, spider)
        if name:
            count_response(self.stats, name, response.status, request.url)

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        """A callback that raised left its response's links or article unread: an error of
        the response's source (Scrapy has logged the traceback)."""
        request = response.request
        name = self._source_of(request, spider) if request is not None else None
        if name:
            self.stats.inc_value(f"news/{name}/errors/spider")

    def article_filtered(self, source: str, reason: str, url: str) -> None:
        urls = self.examples.setdefault(source, {}).setdefault(reason, [])
        if len(urls) < EXAMPLES_PER_REASON and url not in urls:
            urls.append(url)

    def figures(self, name: str) -> dict[str, Any]:
        """Return the summary figures of one source."""
        prefix = f"news/{name}/"
        values = {
            k[len(prefix) :]: v for k, v in self.stats.get_stats().items() if k.startswith(prefix)
        }
        return {
            "discovered": values.get("discovered", 0),
            "known": values.get("known", 0),
            "recrawled": values.get("recrawled", 0),
            "fetched": values.get("fetched", 0),
            "answered": values.get("answered", 0),
            "status": dict(
                sorted(
                    Counter(
                        {k[7:]: v for k, v in values.items() if k.startswith("status/")}
                    ).items()
                )
            ),
            "written": values.get("written", 0),
            "updated": values.get("updated", 0),
            "filtered": {k[9:]: v for k, v in sorted(values.items()) if k.startswith("filtered/")},
            "examples": dict(sorted(self.examples.get(name, {}).items())),
            "errors": sum(v for k, v in values.items() if k == "errors" or k.startswith("errors/")),
            "cut": {k[4:]: v for k, v in sorted(values.items()) if k.startswith("cut/")},
        }

    def spider_closed(self, spider: Spider, reason: str) -> None:
        figures = {name: self.figures(name) for name in self.sources}
        # A shared crawl's worker may get none of a source's requests; a replay --in-place may
        # find nothing left to judge. A crawl of its own that fetched nothing has failed.
        skip_idle = bool(self.crawler.settings.get("REDIS_URL")) or not getattr(
            spider, "records_runs", True
        )
        closed_by = self.stats.get_value(REASON_STAT) or reason
        code = crawl_exit_code(closed_by, figures, skip_idle)
        archive_errors = self.stats.get_value(ARCHIVE_ERRORS, 0)
        if archive_errors and code == OK:
            code = PARTIAL
        state = crawl_state(self.crawler)
        # A replay --in-place is not a run of the crawl: it keeps no figures and judges no health.
        attention = self._record(state if getattr(spider, "records_runs", True) else None, figures)
        lines = [f"Crawl finished ({reason}). Summary per source:"]
        lines += [f"  {name}: {summary_line(figures[name])}" for name in figures]
        if archive_errors:
            lines.append(
                f"  archive: {archive_errors} error(s): WARC data damaged, unreadable or not"
                " indexed (see the ERROR lines above)"
            )
        limit = limit_reached(closed_by)
        if limit:
            lines.append(f"  stopped early: {limit} reached{self._not_made()}")
        elif closed_by == SHUTDOWN:
            lines.append(f"  stopped early: interrupted (Ctrl-C, SIGTERM){self._not_made()}")
        restarts = self.stats.get_value(POOL_RESTARTS_STAT, 0)
        if restarts:
            lines.append(
                f"  extraction: {restarts} worker death(s); the pages their pool held were"
                " extracted again (see the WARNING lines above)"
            )
        report = self.crawler.get_extension(ReportExtension)
        if report is not None:
            said, written = report.write(state)
            lines.append(f"Report: {said}")
            if not written and code in (OK, PARTIAL):
                code = IO_ERROR
        self.stats.set_value(STAT, code)
        failed = [name for name in figures if source_failed(figures[name])]
        failed += ["archive"] if archive_errors else []
        failed += ["start requests"] if closed_by == START_ERROR else []
        failed += [f"stopped by {limit}"] if limit else []
        outcome = f"Exit code {code}: {MEANINGS[code]}"
        named = code in (PARTIAL, FAILED) and failed
        lines.append(outcome + (f" ({', '.join(failed)})" if named else ""))
        self.final_lines = [(logging.WARNING if code else logging.INFO, "\n".join(lines))]
        for name, source in figures.items():
            if source["cut"]:
                cut = ", ".join(
                    f"{count} {CUT_LABELS.get(what, what.replace('_', ' '))}"
                    for what, count in source["cut"].items()
                )
                self.final_lines.append(
                    (logging.WARNING, f"Source {name}: discovery limits left out {cut}")
                )
        for name, reasons in attention.items():
            for text in reasons:
                self.stats.inc_value(f"news/{name}/attention")
                self.final_lines.append((logging.WARNING, f"Source {name} needs attention: {text}"))

    def _not_made(self) -> str:
        """What a run closed early left in its scheduler, as the end of the summary's line."""
        left = in_scheduler(self.stats) + self.stats.get_value(NOT_SENT_STAT, 0)
        if left <= 0:
            return ""
        return f": {left} queued request(s) not made; the next run asks for what is still listed"

    def engine_stopped(self) -> None:
        self.archive_errors.detach()
        # Logged last, after Scrapy's stats dump: the summary is what a reader of the log looks for.
        for level, message in self.final_lines:
            logger.log(level, message)

    def _record(
        self, state: CrawlStateStore | None, figures: dict[str, dict[str, Any]]
    ) -> dict[str, list[str]]:
        """Keep each source's figures of this run in the crawl state; say why sources need a look."""
        started = self.stats.get_value("start_time")
        run = started.isoformat() if started else ""
        attention = {}
        for name, these in figures.items():
            history: list[dict[str, Any]] = []
            if state:
                try:
                    state.record_run(run, name, these)
                except StateWriteFailed as error:
                    logger.error("The figures of this run were not kept: %s", error)
                    state = None
                else:
                    # This run first: in a shared crawl, the figures of all its workers so far.
                    these, *history = state.recent_runs(name, self.idle_runs + 1) or [these]
            attention[name] = attention_reasons(these, history, self.idle_runs, self.min_responses)
        return attention
