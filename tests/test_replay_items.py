"""The replay spider, in-process: archived pages counted and made items as the live crawl does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from scrapy import Request, signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from archive.context import CrawlContext
from archive.http import request_block, response_head
from archive.pages import ArchivedPage
from archive.writer import WarcWriter
from scraper.extensions.summary import SourceSummary
from scraper.replay.spider import ReplaySpider
from sitefixture.settings import project_settings

SOURCES = '[[source]]\nname = "a"\nurl = "https://a.example/"\n'
HTML = [("Content-Type", "text/html; charset=utf-8")]


def page(url: str, status: int = 200, kind: str | None = "article", **more: object) -> ArchivedPage:
    return ArchivedPage(
        url=url,
        date="2026-11-30T12:00:00Z",
        status=status,
        headers=more.get("headers", HTML),  # type: ignore[arg-type]
        payload=b"<html><body><p>Story</p></body></html>",
        location={"filename": "x.warc.gz", "offset": 0},
        context=CrawlContext("a", kind, bool(more.get("recrawl"))),
        truncated=more.get("truncated"),  # type: ignore[arg-type]
    )


def replay_spider(tmp_path: Path) -> ReplaySpider:
    (tmp_path / "sources.toml").write_text(SOURCES)
    crawler = get_crawler(
        ReplaySpider, project_settings({"SOURCES_FILE": str(tmp_path / "sources.toml")})
    )
    spider = ReplaySpider.from_crawler(crawler, archive=tmp_path)
    crawler.spider = spider
    spider.decoder = HttpCompressionMiddleware.from_crawler(crawler)  # as start() does
    return spider


def test_replayed_pages_are_counted_as_the_live_summary_counts_fetched_ones(
    tmp_path: Path,
) -> None:
    spider = replay_spider(tmp_path)
    pages = [
        page("https://a.example/robots.txt", kind="robots"),
        page("https://a.example/robots-moved.txt", kind="robots"),  # where robots.txt redirected
        page("https://a.example/feed", kind="feed"),
        page("https://a.example/gone", status=404),
        page("https://a.example/same", status=304, recrawl=True),
    ]
    for archived in pages:
        assert spider.item_for(archived) is None
    live = get_crawler(
        ReplaySpider, project_settings({"SOURCES_FILE": str(tmp_path / "sources.toml")})
    )
    summary = SourceSummary.from_crawler(live)
    for archived in pages:
        request = Request(archived.url, meta={"source": "a"})
        response = Response(archived.url, status=archived.status)
        summary.response_downloaded(response, request, spider)
    counts = ("fetched", "answered", "status/200", "status/304", "status/404")
    replayed = {k: spider.crawler.stats.get_value(f"news/a/{k}") for k in counts}
    assert replayed == {k: live.stats.get_value(f"news/a/{k}") for k in counts}
    assert replayed["answered"] == 3 and replayed["fetched"] == 5
    assert spider.crawler.stats.get_value("news/a/filtered/unchanged") == 1


def test_archived_articles_become_numbered_items_or_are_filtered(tmp_path: Path) -> None:
    spider = replay_spider(tmp_path)
    first = spider.item_for(page("https://a.example/2026/one"))
    cut = spider.item_for(page("https://a.example/2026/cut", truncated="length"))
    pdf = [("Content-Type", "application/pdf")]
    cut_pdf = spider.item_for(page("https://a.example/2026/pdf", truncated="length", headers=pdf))
    second = spider.item_for(page("https://a.example/2026/two"))
    assert first is not None and second is not None and cut is None and cut_pdf is None
    assert (first.sequence, second.sequence) == (0, 1)
    assert first.requested_url == "https://a.example/2026/one" and first.encoding == "utf-8"
    assert first.warc == {"filename": "x.warc.gz", "offset": 0}
    stats = spider.crawler.stats
    assert stats.get_value("news/a/filtered/truncated") == 1
    # The live crawl counts a cut page that is not HTML as not-html: so does its replay.
    assert stats.get_value("news/a/filtered/not-html") == 1
    assert stats.get_value("replay/pages") == 2


def _archive_of(folder: Path, paths: list[str]) -> None:
    writer = WarcWriter(folder)
    for path in paths:
        url = f"https://a.example/2026/{path}"
        body = b"<html><body><p>Story</p></body></html>"
        response = writer.factory.response(url, response_head(200, HTML, len(body)), body)
        writer.write(
            [response, writer.factory.request(url, request_block("GET", url, []), response)]
        )
    writer.close()


def test_start_ends_once_the_pipelines_are_through_with_its_items(tmp_path: Path) -> None:
    # Scrapy notices that a spider without requests is done on its 5-second heartbeat
    # unless start() ends after its items: it must not end before them either.
    _archive_of(tmp_path, ["one", "two"])
    spider = replay_spider(tmp_path)
    send = spider.crawler.signals.send_catch_log

    async def walk() -> None:
        start = spider.start()
        items = [await anext(start), await anext(start)]
        end = asyncio.ensure_future(anext(start))
        await asyncio.sleep(0.05)
        send(signals.item_scraped, item=items[0], response=None, spider=spider)
        await asyncio.sleep(0.05)
        assert not end.done()  # one item still in the pipelines
        send(signals.item_dropped, item=items[1], response=None, spider=spider, exception=None)
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(end, 5)

    asyncio.run(walk())


def test_start_reads_on_only_while_the_pipelines_have_room(tmp_path: Path) -> None:
    _archive_of(tmp_path, ["one", "two", "three"])
    spider = replay_spider(tmp_path)
    spider.in_flight.limit = 2
    send = spider.crawler.signals.send_catch_log

    async def walk() -> None:
        start = spider.start()
        first, second = await anext(start), await anext(start)
        third = asyncio.ensure_future(anext(start))
        await asyncio.sleep(0.05)
        assert not third.done()  # two items on their way: the archive is not read further
        send(signals.item_error, item=second, response=None, spider=spider, failure=None)
        assert (await asyncio.wait_for(third, 5)).url == "https://a.example/2026/three"
        assert first.url == "https://a.example/2026/one"

    asyncio.run(walk())
