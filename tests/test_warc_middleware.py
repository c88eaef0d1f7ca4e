"""WarcMiddleware, MaxSizeMiddleware and the crawl state extension, built in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from archive.writer import WriteFailed
from scraper.downloadermiddlewares.maxsize import MaxSizeMiddleware
from scraper.downloadermiddlewares.warc import WarcMiddleware
from scraper.extensions.crawlstate import CrawlStateExtension, crawl_state
from scraper.failures import WRITE_FAILED_STAT
from scraper.state import StateWriteFailed
from sitefixture.settings import project_settings
from tests.warcs import iter_records, read_record_at

PAGE = "http://127.0.0.1:9/a/page.html"


@pytest.fixture
def crawler(tmp_path: Path) -> Iterator[Crawler]:
    built = get_crawler(
        Spider,
        project_settings({"DATA_DIR": str(tmp_path), "EXTENSIONS": {CrawlStateExtension: 100}}),
    )
    yield built
    state = crawl_state(built)
    if state is not None:
        state.close()


def fetch(
    middleware: WarcMiddleware, status: int = 200, body: bytes = b"<p>one</p>", **kwargs: object
) -> Request:
    request = Request(PAGE, meta={"source": "s", "kind": "article"})
    response = Response(PAGE, status=status, body=body, request=request, **kwargs)  # type: ignore[arg-type]
    assert asyncio.run(middleware.process_response(request, response)) is response
    return request


def test_the_state_learns_a_fetch_once_its_record_is_written(crawler: Crawler) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)
    request = fetch(middleware, headers={"ETag": '"v1"'})
    known = crawl_state(crawler).get(PAGE)  # type: ignore[union-attr]
    assert known is not None and known.capture is not None
    assert known.capture.location.to_dict() == request.meta["warc"]
    assert (known.source, known.kind, known.status, known.etag) == ("s", "article", 200, '"v1"')
    assert crawler.stats.get_value("warc/records") == 2


def test_an_unchanged_payload_is_a_revisit_of_the_last_capture(crawler: Crawler) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)
    first = fetch(middleware)
    second = fetch(middleware)
    third = fetch(middleware, status=304, body=b"")
    assert crawler.stats.get_value("warc/revisits") == 2
    known = crawl_state(crawler).get(PAGE)  # type: ignore[union-attr]
    assert known is not None and known.capture is not None
    # The capture stays the first full record; the revisits are records of their own.
    assert known.capture.record_id == first.meta["warc"]["record_id"]
    assert len({r.meta["warc"]["record_id"] for r in (first, second, third)}) == 3
    assert known.status == 304


def test_a_body_cut_at_the_size_limit_is_remembered_without_a_capture(crawler: Crawler) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)
    request = fetch(middleware, flags=["download_stopped"])
    assert request.meta["warc"]["record_id"]
    known = crawl_state(crawler).get(PAGE)  # type: ignore[union-attr]
    assert known is not None and known.status == 200
    assert known.capture is None  # nothing to compare a later answer with, nor to revisit


def test_a_body_whose_connection_broke_off_is_archived_but_not_remembered(
    crawler: Crawler,
) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)
    request = fetch(middleware, flags=["dataloss"])
    assert request.meta["warc"]["record_id"]
    assert crawl_state(crawler).get(PAGE) is None  # type: ignore[union-attr]


def test_a_record_not_written_is_not_remembered(
    crawler: Crawler, monkeypatch: pytest.MonkeyPatch
) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)

    def full_disk(records: object) -> None:
        raise WriteFailed("archive.warc.gz.open: No space left on device")

    monkeypatch.setattr(middleware.writer, "write_packed", full_disk)
    # As after an earlier failure: the crawl is stopping already (no engine here to stop).
    crawler.stats.set_value(WRITE_FAILED_STAT, "an earlier write")
    with pytest.raises(IgnoreRequest):
        fetch(middleware)
    assert crawl_state(crawler).get(PAGE) is None  # type: ignore[union-attr]
    assert crawler.stats.get_value("warc/records") is None
    assert crawler.stats.get_value("news/s/errors/write") == 1


def test_responses_packed_in_threads_are_written_each_beside_its_request(
    crawler: Crawler,
) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)
    assert middleware.threads is not None  # WARC_THREADS, 2 by default
    requests = [Request(f"{PAGE}?n={n}", meta={"source": "s"}) for n in range(40)]

    async def fetch_all() -> list[Response]:
        return await asyncio.gather(
            *(
                middleware.process_response(
                    request, Response(request.url, body=b"<p>%d</p>" % n * (n * 500 + 1))
                )
                for n, request in enumerate(requests)
            )
        )

    asyncio.run(fetch_all())
    middleware.spider_closed()
    (path,) = middleware.writer.directory.glob("*.warc.gz")
    records = [(record, offset) for record, offset, _ in iter_records(path)]
    assert records[0][0].rec_type == "warcinfo"
    info = read_record_at(path, 0).content_stream().read().decode()
    assert "Twisted consumes Transfer-Encoding" in info and "X-Orig" not in info
    assert "operator:" not in info  # WARC_OPERATOR is not set: no empty field
    pairs = list(zip(records[1::2], records[2::2], strict=True))
    assert len(pairs) == len(requests)
    for (response, offset), (sent, _) in pairs:
        assert (response.rec_type, sent.rec_type) == ("response", "request")
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        assert sent.rec_headers.get_header("WARC-Concurrent-To") == response_id
    for request in requests:  # each request learnt where its own response landed
        location = request.meta["warc"]
        record = read_record_at(path, location["offset"])
        assert record.rec_headers.get_header("WARC-Target-URI") == request.url
        assert record.rec_headers.get_header("WARC-Record-ID") == location["record_id"]


def test_without_crawl_state_every_answer_is_a_full_record(tmp_path: Path) -> None:
    crawler = get_crawler(
        Spider, project_settings({"DATA_DIR": str(tmp_path), "CRAWL_STATE_ENABLED": False})
    )
    middleware = build_from_crawler(WarcMiddleware, crawler)
    fetch(middleware)
    fetch(middleware)
    assert crawler.stats.get_value("warc/records") == 4
    assert crawler.stats.get_value("warc/revisits") is None


def test_maxsize_cuts_past_the_cap_and_gives_it_back_after() -> None:
    crawler = get_crawler(Spider, project_settings({"DOWNLOAD_MAXSIZE": 10}))
    middleware = build_from_crawler(MaxSizeMiddleware, crawler)
    request = Request(PAGE)
    middleware.process_request(request)
    assert (request.meta["warc_maxsize"], request.meta["download_maxsize"]) == (10, 0)
    middleware.bytes_received(b"123456", request)
    with pytest.raises(StopDownload):
        middleware.bytes_received(b"789012", request)
    assert crawler.stats.get_value("warc/truncated") == 1
    middleware.process_response(request, Response(PAGE, request=request))
    assert request.meta["download_maxsize"] == 10
    retry = request.replace()
    middleware.process_request(retry)  # a retry starts counting afresh, with the same cap
    assert "warc_received" not in retry.meta and retry.meta["warc_maxsize"] == 10


def test_maxsize_honours_a_request_s_own_cap() -> None:
    middleware = build_from_crawler(
        MaxSizeMiddleware, get_crawler(Spider, project_settings({"DOWNLOAD_MAXSIZE": 10}))
    )
    request = Request(PAGE, meta={"download_maxsize": 100})
    middleware.process_request(request)
    middleware.bytes_received(b"x" * 50, request)
    assert request.meta["warc_maxsize"] == 100


def test_maxsize_leaves_the_cut_to_scrapy_without_the_archive() -> None:
    with pytest.raises(NotConfigured):
        build_from_crawler(
            MaxSizeMiddleware, get_crawler(Spider, project_settings({"WARC_ENABLED": False}))
        )


def test_a_state_that_cannot_be_written_leaves_the_record_archived(
    crawler: Crawler, monkeypatch: pytest.MonkeyPatch
) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)
    state = crawl_state(crawler)

    def full_disk(url: str, **values: object) -> None:
        raise StateWriteFailed("state.sqlite: database or disk is full")

    monkeypatch.setattr(state, "record_fetch", full_disk)
    crawler.stats.set_value(WRITE_FAILED_STAT, "an earlier write")  # no engine here to stop
    request = fetch(middleware)  # the response goes on, archived: the next run fetches it again
    assert request.meta["warc"]["record_id"]
    assert crawler.stats.get_value("warc/records") == 2
    assert crawler.stats.get_value("news/s/errors/write") == 1
