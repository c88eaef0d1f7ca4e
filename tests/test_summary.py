"""When a source is reported as needing attention, and the summary extension driven in-process."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.extension import ExtensionManager
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from scraper.exitcodes import MEANINGS, OK, PARTIAL, STAT
from scraper.extensions.summary import SourceSummary, attention_reasons
from scraper.failures import POOL_RESTARTS_STAT
from scraper.signals import article_filtered
from sitefixture.inprocess import project_crawler

HEALTHY = {"written": 3, "status": {"200": 20}, "filtered": {"off-topic": 2}}


def test_a_healthy_source_needs_nothing() -> None:
    assert attention_reasons(HEALTHY, [HEALTHY] * 4, idle_runs=5, min_responses=5) == []


def test_idle_for_n_runs_in_a_row() -> None:
    idle = {**HEALTHY, "written": 0}
    assert attention_reasons(idle, [idle] * 4, 5, 5) == ["no new article in 5 runs in a row"]
    assert attention_reasons(idle, [idle] * 3, 5, 5) == []  # not enough history yet
    assert attention_reasons(idle, [idle, idle, HEALTHY, idle], 5, 5) == []


def test_mostly_refused() -> None:
    blocked = {**HEALTHY, "status": {"200": 3, "403": 4, "503": 2}}
    assert attention_reasons(blocked, [], 5, 5) == ["6 of 9 responses were 403, 429 or 5xx"]
    few = {**HEALTHY, "status": {"429": 2}}
    assert attention_reasons(few, [], 5, 5) == []


def test_pages_extracting_to_nothing() -> None:
    empty = {**HEALTHY, "written": 1, "filtered": {"empty": 6}}
    assert attention_reasons(empty, [], 5, 5) == ["6 of 7 article pages extracted to nothing"]


TWO_SOURCES = (
    '[[source]]\nname = "walled"\nurl = "https://walled.example/"\n\n'
    '[[source]]\nname = "open"\nurl = "https://open.example/"\n'
)


def summary_crawler(folder: Path, **settings: Any) -> Crawler:
    """A crawler whose extensions are the crawl state and the summary, as the project sets them."""
    extensions = {
        "scraper.extensions.crawlstate.CrawlStateExtension": 100,
        "scraper.extensions.summary.SourceSummary": 500,
    }
    crawler = project_crawler(
        Spider, TWO_SOURCES, folder, EXTENSIONS_BASE={}, EXTENSIONS=extensions, **settings
    )
    crawler.extensions = build_from_crawler(ExtensionManager, crawler)
    return crawler


def run(
    crawler: Crawler,
    fetches: list[tuple[str, int]],
    counted: dict[str, int],
    filtered: tuple[str, str, str] | None = None,
    started: datetime = datetime(2026, 11, 30, tzinfo=UTC),
) -> SourceSummary:
    """One run: the signals of its ``(url, status)`` responses and of an article ``filtered``,
    what its spider and pipelines ``counted``, its end."""
    spider = Spider("news")
    send = crawler.signals.send_catch_log
    send(signals.spider_opened, spider=spider)
    crawler.stats.set_value("start_time", started)  # as CoreStats does
    for url, status in fetches:
        request = Request(url)
        send(
            signals.response_downloaded,
            response=Response(url, status=status),
            request=request,
            spider=spider,
        )
    if filtered is not None:
        source, reason, url = filtered
        send(article_filtered, source=source, reason=reason, url=url)
    for key, value in counted.items():
        crawler.stats.inc_value(key, value)
    send(signals.spider_closed, spider=spider, reason="finished")
    summary = crawler.get_extension(SourceSummary)
    assert summary is not None
    return summary


def test_the_summary_counts_prints_and_judges_a_blocking_source(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = summary_crawler(tmp_path)
    walled = "https://walled.example"
    fetches = [(f"{walled}/robots.txt", 200), (f"{walled}/", 200)]
    fetches += [(f"{walled}/2026/story-{n}", 403) for n in range(6)]
    fetches += [("https://open.example/", 200), ("https://open.example/2026/a", 200)]
    summary = run(
        crawler,
        fetches,
        {
            "news/walled/discovered": 6,
            "news/walled/errors/http": 6,
            "news/open/discovered": 1,
            "news/open/written": 1,
        },
        ("open", "off-topic", "https://open.example/x"),
    )
    walled_figures = summary.figures("walled")
    assert walled_figures["fetched"] == 8 and walled_figures["answered"] == 1  # robots.txt aside
    assert walled_figures["status"] == {"200": 2, "403": 6} and walled_figures["errors"] == 6
    assert summary.figures("open")["examples"] == {"off-topic": ["https://open.example/x"]}
    assert crawler.stats.get_value(STAT) == PARTIAL  # walled failed, open did not
    assert crawler.stats.get_value("news/walled/attention") == 1
    assert crawler.stats.get_value("news/open/attention") is None
    with caplog.at_level(logging.INFO, logger="scraper.extensions.summary"):
        crawler.signals.send_catch_log(signals.engine_stopped)
    logged = [r for r in caplog.records if r.name == "scraper.extensions.summary"]
    said = [record.getMessage() for record in logged]
    assert said[0].splitlines() == [
        "Crawl finished (finished). Summary per source:",
        (
            "  walled: discovered 6 (0 known), fetched 8 (200:2 403:6), written 0, updated 0, "
            "filtered -, errors 6"
        ),
        (
            "  open: discovered 1 (0 known), fetched 2 (200:2), written 1, updated 0, "
            "filtered -, errors 0"
        ),
        "Exit code 1: " + MEANINGS[PARTIAL] + " (walled)",
    ]
    assert said[1:] == ["Source walled needs attention: 6 of 8 responses were 403, 429 or 5xx"]
    assert logged[0].levelno == logging.WARNING


def test_the_summary_says_how_many_extraction_workers_died_without_failing_the_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = summary_crawler(tmp_path)
    fetches = [("https://open.example/", 200), ("https://open.example/2026/a", 200)]
    fetches += [("https://walled.example/", 200)]
    run(crawler, fetches, {"news/open/written": 1, POOL_RESTARTS_STAT: 2})
    with caplog.at_level(logging.INFO, logger="scraper.extensions.summary"):
        crawler.signals.send_catch_log(signals.engine_stopped)
    said = [r.getMessage() for r in caplog.records if r.name == "scraper.extensions.summary"]
    assert said[0].splitlines()[-2:] == [
        (
            "  extraction: 2 worker death(s); the pages their pool held were extracted again"
            " (see the WARNING lines above)"
        ),
        "Exit code 0: " + MEANINGS[OK],
    ]
    assert crawler.stats.get_value(STAT) == OK  # each page was extracted again: nothing lost


def test_runs_are_kept_in_the_crawl_state_and_idle_ones_flagged(tmp_path: Path) -> None:
    open_page = [("https://open.example/", 200), ("https://walled.example/", 200)]
    for number in range(3):
        crawler = summary_crawler(tmp_path, ATTENTION_IDLE_RUNS=3)
        started = datetime(2026, 11, 1 + number, tzinfo=UTC)
        summary = run(crawler, open_page, {"news/open/written": int(number == 0)}, started=started)
        crawler.signals.send_catch_log(signals.engine_stopped)  # closes the state
        assert crawler.stats.get_value(STAT) == OK
    flagged = [message for _, message in summary.final_lines[1:]]
    assert flagged == ["Source walled needs attention: no new article in 3 runs in a row"]
