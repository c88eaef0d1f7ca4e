"""The crawl's exit code says how the run went: ok, partial, nothing worked."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Response

from scraper import exitcodes, meta
from scraper.exitcodes import crawl_exit_code
from sitefixture.scrapyrun import run_signalled
from sitefixture.server import FixtureServer, Resource, free_port
from tests.conftest import ServedSite, crawl

GOOD = {"fetched": 6, "answered": 5, "errors": 0}
UNREACHABLE = {"fetched": 0, "answered": 0, "errors": 2}
IDLE = {"fetched": 0, "answered": 0, "errors": 0}


def test_the_code_follows_the_sources_figures() -> None:
    assert crawl_exit_code("finished", {"a": GOOD, "b": GOOD}) == exitcodes.OK
    assert crawl_exit_code("finished", {"a": GOOD, "b": UNREACHABLE}) == exitcodes.PARTIAL
    assert (
        crawl_exit_code("finished", {"a": GOOD, "b": {"fetched": 4, "answered": 3, "errors": 1}})
        == exitcodes.PARTIAL
    )
    assert (
        crawl_exit_code("finished", {"a": UNREACHABLE, "b": {"fetched": 2, "answered": 0}})
        == exitcodes.FAILED
    )


def test_a_source_this_worker_never_touched_is_no_failure() -> None:
    """In a shared crawl another worker may have done all of a source's requests."""
    assert crawl_exit_code("finished", {"a": GOOD, "b": IDLE}, skip_idle=True) == exitcodes.OK
    assert crawl_exit_code("finished", {"a": IDLE, "b": IDLE}, skip_idle=True) == exitcodes.OK
    assert (
        crawl_exit_code("finished", {"a": UNREACHABLE, "b": IDLE}, skip_idle=True)
        == exitcodes.FAILED
    )


def test_a_crawl_of_its_own_that_fetched_nothing_for_a_source_failed() -> None:
    """Without other workers, nobody did the requests a source never sent."""
    assert crawl_exit_code("finished", {"a": GOOD, "b": IDLE}) == exitcodes.PARTIAL
    assert crawl_exit_code("finished", {"a": IDLE}) == exitcodes.FAILED


def test_an_interruption_or_a_failed_write_outranks_the_figures() -> None:
    assert crawl_exit_code("shutdown", {"a": GOOD}) == exitcodes.INTERRUPTED
    assert crawl_exit_code(exitcodes.WRITE_FAILED, {"a": GOOD}) == exitcodes.IO_ERROR


def test_a_run_whose_start_requests_broke_off_is_partial_at_best() -> None:
    assert crawl_exit_code(exitcodes.START_ERROR, {"a": GOOD}) == exitcodes.PARTIAL
    assert crawl_exit_code(exitcodes.START_ERROR, {}) == exitcodes.PARTIAL
    assert crawl_exit_code(exitcodes.START_ERROR, {"a": UNREACHABLE}) == exitcodes.FAILED


def test_a_run_a_closespider_limit_closed_is_partial_at_best() -> None:
    assert crawl_exit_code("closespider_timeout", {"a": GOOD}) == exitcodes.PARTIAL
    assert crawl_exit_code("closespider_itemcount", {"a": UNREACHABLE}) == exitcodes.FAILED
    assert exitcodes.limit_reached("closespider_timeout_no_item") == "CLOSESPIDER_TIMEOUT_NO_ITEM"
    assert exitcodes.limit_reached("finished") is None


def test_a_crawl_a_closespider_limit_cut_short_says_so_and_the_next_run_completes(
    news_site: ServedSite, tmp_path: Path
) -> None:
    text = news_site.site.source_toml(news_site.server.base_url)
    first = crawl(tmp_path, text, {"CLOSESPIDER_PAGECOUNT": "4"})
    assert first.returncode == exitcodes.PARTIAL, first.log[-3000:]
    assert re.search(
        r"stopped early: CLOSESPIDER_PAGECOUNT reached: [1-9]\d* queued request\(s\) not made",
        first.log,
    ), first.log[-3000:]
    assert "Exit code 1: partial (stopped by CLOSESPIDER_PAGECOUNT)" in first.log
    written_first = len(first.manifest())
    second = crawl(tmp_path, text)
    assert second.returncode == exitcodes.OK, second.log[-3000:]
    assert written_first < len(second.manifest()) == 8


class RaisingOnFeeds:
    """A spider middleware that breaks the spider's reading of every feed."""

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        if response.meta.get(meta.KIND) == "feed":
            raise RuntimeError("the spider broke on a feed")
        async for item in result:
            yield item


def test_a_callback_that_raises_is_an_error_of_its_source(
    news_site: ServedSite, tmp_path: Path
) -> None:
    middleware = f"{__name__}.{RaisingOnFeeds.__name__}"
    result = crawl(
        tmp_path,
        news_site.site.source_toml(news_site.server.base_url),
        {"SPIDER_MIDDLEWARES": json.dumps({middleware: 1})},
    )
    assert "the spider broke on a feed" in result.log
    assert result.returncode == exitcodes.PARTIAL, result.log[-3000:]
    assert re.search(r"errors [1-9]", result.log), result.log[-1000:]  # one for each feed


def _unreachable_source(name: str) -> str:
    return f'\n[[source]]\nname = "{name}"\nurl = "http://127.0.0.1:{free_port()}/"\n'


def test_a_crawl_with_one_unreachable_source_exits_partial(
    news_site: ServedSite, tmp_path: Path
) -> None:
    text = news_site.site.source_toml(news_site.server.base_url) + _unreachable_source("gone")
    result = crawl(tmp_path, text)
    assert result.returncode == exitcodes.PARTIAL, result.log
    assert "Exit code 1: partial (gone)" in result.log
    assert "written 8," in result.log


@pytest.mark.parametrize("loss", ["redirect-loop", "gzip-bomb"])
def test_an_article_that_cannot_be_kept_is_an_error_of_its_source(
    loss: str, news_site: ServedSite, tmp_path: Path
) -> None:
    """They were left out at DEBUG: the run said 'errors 0' and exit code 0."""
    path = news_site.site.articles["a1"].path
    routes = news_site.server.routes
    if loss == "redirect-loop":
        routes[path] = Resource(status=302, headers=[("Location", path + "-moved")])
        routes[path + "-moved"] = Resource(status=302, headers=[("Location", path)])
    else:  # a few KiB on the wire, 4 MiB inflated
        routes[path] = Resource(b"<html><body>" + b" " * (4 << 20), gzip=True)
    result = crawl(
        tmp_path,
        news_site.site.source_toml(news_site.server.base_url),
        {"DOWNLOAD_MAXSIZE": str(1 << 20)},
    )
    assert result.returncode == exitcodes.PARTIAL, result.log[-3000:]
    assert "errors 1" in result.log and "Exit code 1: partial (fixture)" in result.log
    assert "written 7," in result.log, result.log[-3000:]


def test_a_source_whose_robots_txt_forbids_its_home_page_says_so(
    news_site: ServedSite, tmp_path: Path
) -> None:
    """It ended with exit code 3, nothing worked, and no line said why."""
    news_site.server.routes["/robots.txt"] = Resource(
        b"User-agent: *\nDisallow: /\n", content_type="text/plain"
    )
    result = crawl(tmp_path, news_site.site.source_toml(news_site.server.base_url))
    assert result.returncode == exitcodes.FAILED, result.log[-3000:]
    home = news_site.server.base_url + "/"
    assert re.search(
        rf"WARNING: robots.txt of 127.0.0.1:\d+ forbids {re.escape(home)} \(home of source fixture\)",
        result.log,
    ), result.log[-3000:]


def test_a_crawl_where_nothing_answers_exits_failed(tmp_path: Path) -> None:
    result = crawl(tmp_path, _unreachable_source("gone") + _unreachable_source("dark"))
    assert result.returncode == exitcodes.FAILED, result.log
    assert "Exit code 3: nothing worked (gone, dark)" in result.log
    assert "robots.txt of 127.0.0.1:" in result.log and "cannot be read (" in result.log


def test_a_crawl_that_sent_no_request_exits_failed(tmp_path: Path) -> None:
    """A homepage past URLLENGTH_LIMIT is never asked for: the run did not work, it is not 'ok'."""
    with FixtureServer() as server:
        home = f"{server.base_url}/{'a' * 2100}"
        result = crawl(tmp_path, f'[[source]]\nname = "long"\nurl = "{home}"\n')
        assert server.paths() == [], result.log
    assert result.returncode == exitcodes.FAILED, result.log
    assert "Exit code 3: nothing worked (long)" in result.log


def test_a_missing_home_page_is_an_error_of_its_source(
    news_site: ServedSite, tmp_path: Path
) -> None:
    text = news_site.site.source_toml(news_site.server.base_url).replace(
        f'url = "{news_site.server.base_url}/"',
        f'url = "{news_site.server.base_url}/no-such-page"',
        1,
    )
    result = crawl(tmp_path, text)
    assert "HTTP 404 from " in result.log, result.log
    assert result.returncode == exitcodes.PARTIAL, result.log


def test_a_forced_shutdown_exits_interrupted(news_site: ServedSite, tmp_path: Path) -> None:
    news_site.server.delay = 2.0
    sources = tmp_path / "sources.toml"
    sources.write_text(news_site.site.source_toml(news_site.server.base_url))
    settings = {"SOURCES_FILE": str(sources), "DATA_DIR": str(tmp_path / "data")}
    code, log = run_signalled(
        ["crawl", "news"],
        tmp_path,
        settings,
        [("Spider opened", signal.SIGINT), ("shutting down gracefully", signal.SIGINT)],
        ready=lambda: bool(news_site.server.paths()),
    )
    assert code == exitcodes.INTERRUPTED, log
    assert "forcing unclean shutdown" in log
