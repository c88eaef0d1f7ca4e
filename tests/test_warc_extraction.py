"""WARC_PACK_WITH_EXTRACTION: an article response packed by the worker that extracts it, while
the download goes on."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DropItem
from scrapy.http import Headers, HtmlResponse, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.misc import build_from_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.exchange import Exchange
from archive.writer import WriteFailed
from corpus.article import Article
from corpus.options import ExtractionOptions
from corpus.worker import Undecoded, archive_and_extract, extract_for_corpus, gunzipped
from scraper import meta
from scraper.downloadermiddlewares.warc import WarcMiddleware
from scraper.extensions.crawlstate import crawl_state
from scraper.failures import WRITE_FAILED_STAT
from scraper.items import PREFETCHED, ArchivedArticle, PageItem, Prefetched, declared_encoding
from scraper.pipelines import ExtractionPipeline
from sitefixture import pages
from sitefixture.inprocess import project_crawler
from sitefixture.text import paragraphs

BASE = "https://a.example"
SOURCES = f'[[source]]\nname = "a"\nurl = "{BASE}/"\n'


def article(number: int) -> tuple[str, bytes]:
    path = f"/2026/11/30/story-{number}"
    made = pages.FixtureArticle(
        path, f"Story {number}", paragraphs(f"seed {number}", True), "2026-11-30T09:00:00Z"
    )
    return BASE + path, pages.article_html(made, BASE, []).encode()


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[tuple[Crawler, WarcMiddleware, ExtractionPipeline]]:
    """The middleware and the pipeline of one crawler, the pipeline's pool running, wired as
    the middleware's ``spider_opened`` wires them in a crawl (tested end to end in test_crawl)."""
    crawler = project_crawler(Spider, SOURCES, tmp_path, EXTRACTION_PROCESSES=1)
    pipeline = build_from_crawler(ExtractionPipeline, crawler)
    pipeline.open_spider()
    middleware = build_from_crawler(WarcMiddleware, crawler)
    middleware.extraction = pipeline
    yield crawler, middleware, pipeline
    asyncio.run(pipeline.close_spider())
    state = crawl_state(crawler)
    if state is not None:
        state.close()


def exchanged(
    url: str, body: bytes, kind: str = "article", **headers: str
) -> tuple[Request, Response]:
    """A request of ``url`` for source "a" and its response, of the class Scrapy's download
    handler makes (a plain ``Response`` while the body is content-encoded)."""
    request = Request(url, meta={meta.SOURCE: "a", meta.KIND: kind})
    sent = Headers({"Content-Type": "text/html; charset=utf-8", **headers})
    response = responsetypes.from_args(headers=sent, url=url)(url, body=body, headers=sent)
    return request, response


def fetch(
    middleware: WarcMiddleware, url: str, body: bytes, kind: str = "article", **headers: str
) -> tuple[Request, ArchivedArticle | None]:
    """The request of ``url`` once archived, and how a worker archived its response, if one did."""
    request, response = exchanged(url, body, kind, **headers)

    async def archive() -> ArchivedArticle | None:
        assert await middleware.process_response(request, response) is response
        archiving = PREFETCHED.pop(request, None)
        return None if archiving is None else await archiving

    return request, asyncio.run(archive())


def archived(middleware: WarcMiddleware, request: Request) -> bytes:
    """The payload of the response record the request learnt the place of, digests checked."""
    (path,) = middleware.writer.directory.glob("*.warc.gz*")
    with open(path, "rb") as stream:
        stream.seek(request.meta[meta.WARC]["offset"])
        record = next(iter(ArchiveIterator(stream, check_digests="raise")))
        assert (
            record.rec_headers.get_header("WARC-Record-ID") == request.meta[meta.WARC]["record_id"]
        )
        return record.content_stream().read()


def test_an_article_is_archived_and_extracted_by_one_worker(
    wired: tuple[Crawler, WarcMiddleware, ExtractionPipeline],
) -> None:
    crawler, middleware, _ = wired
    url, body = article(1)
    request, archived_article = fetch(middleware, url, body)
    assert archived_article is not None and archived_article.warc == request.meta[meta.WARC]
    prefetched = archived_article.extraction
    assert prefetched is not None and prefetched.error is None and prefetched.article is not None
    assert prefetched.article.title == "Story 1"
    assert crawler.stats.get_value("warc/packed_with_extraction") == 1
    middleware.writer.close()
    assert archived(middleware, request) == body


def spider_article(
    crawler: Crawler, middleware: WarcMiddleware, request: Request, response: Response
) -> Article | None:
    """What the pipeline extracts from the body Scrapy's HttpCompressionMiddleware decoded."""
    decoded = HttpCompressionMiddleware.from_crawler(crawler).process_response(request, response)
    assert isinstance(decoded, HtmlResponse)
    options = middleware.sources["a"].extraction_options()
    return extract_for_corpus(decoded.body, decoded.url, declared_encoding(decoded), options)


def test_a_gzip_encoded_article_is_inflated_and_extracted_by_its_worker(
    wired: tuple[Crawler, WarcMiddleware, ExtractionPipeline],
) -> None:
    crawler, middleware, _ = wired
    url, body = article(10)
    sent = gzip.compress(body, mtime=0)
    request, archived_article = fetch(middleware, url, sent, **{"Content-Encoding": "gzip"})
    assert archived_article is not None and archived_article.extraction is not None
    made = archived_article.extraction.result()
    response = exchanged(url, sent, **{"Content-Encoding": "gzip"})[1]
    expected = spider_article(crawler, middleware, request, response)
    assert made is not None and expected is not None
    assert (made.title, made.text(), made.fingerprint()) == (
        expected.title,
        expected.text(),
        expected.fingerprint(),
    )
    assert crawler.stats.get_value("warc/packed_with_extraction") == 1
    middleware.writer.close()
    (path,) = middleware.writer.directory.glob("*.warc.gz*")
    with open(path, "rb") as stream:
        stream.seek(request.meta[meta.WARC]["offset"])
        record = next(iter(ArchiveIterator(stream)))
        assert record.http_headers.get_header("Content-Encoding") == "gzip"
        assert record.raw_stream.read() == sent  # archived as it came
    assert archived(middleware, request) == body


@pytest.mark.parametrize(
    ("sent", "meta_size"),
    [
        (lambda body: gzip.compress(body)[:-8], None),
        (lambda body: gzip.compress(body) + b"trailing bytes", None),
        (lambda body: gzip.compress(body), 1000),
    ],
    ids=["cut stream", "bytes after the stream", "inflates past download_maxsize"],
)
def test_a_gzip_body_the_worker_cannot_inflate_whole_is_left_to_the_pipeline(
    wired: tuple[Crawler, WarcMiddleware, ExtractionPipeline],
    sent: Callable[[bytes], bytes],
    meta_size: int | None,
) -> None:
    """Scrapy decodes a cut stream in part; the worker, strict, leaves the extraction to the
    pipeline, which gets the body the spider got. The records are written all the same."""
    _, middleware, _ = wired
    url, body = article(11)
    request, response = exchanged(url, sent(body), **{"Content-Encoding": "gzip"})
    if meta_size is not None:
        request.meta[meta.DOWNLOAD_MAXSIZE] = meta_size

    async def archive() -> ArchivedArticle:
        await middleware.process_response(request, response)
        return await PREFETCHED.pop(request)

    archived_article = asyncio.run(archive())
    assert archived_article.warc == request.meta[meta.WARC]
    assert archived_article.extraction is None


def test_gunzipped_takes_whole_gzip_members_only() -> None:
    assert gunzipped(gzip.compress(b"one ") + gzip.compress(b"two"), 100) == b"one two"
    for broken in (b"", b"<html>", gzip.compress(b"x" * 1000)[:-1], gzip.compress(b"a") + b"\0"):
        with pytest.raises(Undecoded):
            gunzipped(broken, 10_000)
    assert gunzipped(gzip.compress(b"x" * 100), 100) == b"x" * 100
    with pytest.raises(Undecoded, match="past 99 bytes"):
        gunzipped(gzip.compress(b"x" * 100), 99)


@pytest.mark.parametrize(
    ("kind", "headers"),
    [("section", {}), ("article", {"Content-Encoding": "deflate"})],
    ids=["not an article", "another coding than gzip"],
)
def test_what_no_worker_extracts_is_archived_here(
    wired: tuple[Crawler, WarcMiddleware, ExtractionPipeline], kind: str, headers: dict[str, str]
) -> None:
    crawler, middleware, _ = wired
    url, body = article(2)
    sent = zlib.compress(body) if headers else body
    request, archived_article = fetch(middleware, url, sent, kind, **headers)
    assert archived_article is None
    assert crawler.stats.get_value("warc/packed_with_extraction") is None
    middleware.writer.close()
    assert archived(middleware, request) == body  # warcio decodes the gzip


def test_a_worker_that_dies_loses_neither_record_nor_article(
    wired: tuple[Crawler, WarcMiddleware, ExtractionPipeline],
) -> None:
    crawler, middleware, pipeline = wired
    fetch(middleware, *article(3))  # the pool has its worker now
    assert pipeline.pool is not None and pipeline.pool.executor is not None
    for process in list(pipeline.pool.executor._processes.values()):  # type: ignore[attr-defined]
        process.kill()
        process.join()
    url, body = article(4)
    request, archived_article = fetch(middleware, url, body)
    assert archived_article is not None and archived_article.warc == request.meta[meta.WARC]
    assert archived_article.extraction is None  # the pipeline extracts it, in its new pool
    assert crawler.stats.get_value("extraction/pool_restarts") == 1
    assert crawler.stats.get_value("warc/packed_with_extraction") == 1
    middleware.writer.close()
    assert archived(middleware, request) == body
    fetch(middleware, *article(5))  # and the new pool takes the next one
    assert crawler.stats.get_value("warc/packed_with_extraction") == 2


def test_the_download_goes_on_while_the_worker_archives(
    wired: tuple[Crawler, WarcMiddleware, ExtractionPipeline],
) -> None:
    _, middleware, pipeline = wired
    url, body = article(7)
    request, response = exchanged(url, body)

    async def download() -> ArchivedArticle:
        assert await middleware.process_response(request, response) is response
        archiving = PREFETCHED[request]
        assert not archiving.done() and meta.WARC not in request.meta  # the slot is free
        assert pipeline.archiving == {archiving}
        return await archiving

    archived_article = asyncio.run(download())
    assert archived_article.warc == request.meta[meta.WARC]
    assert request.meta[meta.WARC_DATE]
    assert not pipeline.archiving


def test_the_pool_closes_once_what_it_archives_is_written(
    wired: tuple[Crawler, WarcMiddleware, ExtractionPipeline],
) -> None:
    _, middleware, pipeline = wired
    url, body = article(8)
    request, response = exchanged(url, body)

    async def download_then_close() -> None:  # a response that makes no item, as a refresh
        await middleware.process_response(request, response)
        await pipeline.close_spider()

    asyncio.run(download_then_close())
    middleware.writer.close()
    assert archived(middleware, request) == body


def test_an_article_not_archived_makes_no_item(
    wired: tuple[Crawler, WarcMiddleware, ExtractionPipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler, middleware, pipeline = wired

    def full_disk(records: object) -> None:
        raise WriteFailed("news.warc.gz.open: No space left on device")

    monkeypatch.setattr(middleware.writer, "write_packed", full_disk)
    crawler.stats.set_value(WRITE_FAILED_STAT, "an earlier write")  # no engine here to stop
    url, body = article(9)
    request, response = exchanged(url, body)
    item = PageItem(url=url, source="a", fetched_at="", warc={}, body=body)

    async def download_then_extract() -> None:
        await middleware.process_response(request, response)
        item.prefetched = PREFETCHED.pop(request)
        await pipeline.process_item(item)

    with pytest.raises(DropItem, match="not archived: news.warc.gz.open: No space left"):
        asyncio.run(download_then_extract())
    assert item.outcome is None and item.article is None  # unsettled: the next run fetches it
    assert crawler.stats.get_value("news/a/errors/write") == 1
    assert crawl_state(crawler).get(url) is None  # type: ignore[union-attr]


def test_the_extraction_s_error_comes_back_with_the_records() -> None:
    url, body = article(6)
    exchange = Exchange(
        url=url,
        status=200,
        headers=[("Content-Type", "text/html")],
        body=body,
        protocol="HTTP/1.1",
        ip=None,
        truncated=None,
        revisit=None,
        request_url=url,
        request_block=b"GET / HTTP/1.1\r\n\r\n",
        context=[],
        date="2026-11-30T12:00:00Z",
        response_id="<urn:uuid:1>",
        request_id="<urn:uuid:2>",
    )
    packed, made, error = archive_and_extract(
        exchange, "<urn:uuid:0>", "isal", 2, "no-such-codec", ExtractionOptions()
    )
    assert made is None and isinstance(error, LookupError)
    assert [record.record_id for record in packed.records] == ["<urn:uuid:1>", "<urn:uuid:2>"]
    with pytest.raises(LookupError):
        Prefetched(made, error).result()
