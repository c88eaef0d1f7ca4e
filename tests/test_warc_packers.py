"""WARC_PROCESSES: the records of big responses packed in worker processes, none lost to a dead one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.exchange import Exchange, pack_exchange
from archive.records import RecordFactory
from archive.writer import member_compressor, pack_records
from scraper.downloadermiddlewares.warc import PROCESS_BYTES, WarcMiddleware
from scraper.extensions.crawlstate import CrawlStateExtension, crawl_state
from scraper.workerpool import WARC_PACKING, worker_pool
from sitefixture.settings import project_settings
from tests.warcs import iter_records

PAGE = "http://127.0.0.1:9/a/page.html"


def page(number: int, size: int) -> bytes:
    line = b"<p>Paragraph %d of a page that is long enough to be packed elsewhere.</p>\n" % number
    return line * (size // len(line) + 1)


def exchange(body: bytes) -> Exchange:
    return Exchange(
        url=PAGE,
        status=200,
        headers=[("Content-Type", "text/html; charset=utf-8")],
        body=body,
        protocol="HTTP/1.1",
        ip="127.0.0.1",
        truncated=None,
        revisit=None,
        request_url=PAGE,
        request_block=b"GET /a/page.html HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n",
        context=[("source", "s")],
        date="2026-12-01T10:00:00Z",
        response_id="<urn:uuid:1>",
        request_id="<urn:uuid:2>",
    )


def test_a_worker_packs_the_records_a_thread_packs() -> None:
    sent = exchange(page(1, 3 * PROCESS_BYTES))
    here = pack_records(sent.records(RecordFactory()), "<urn:uuid:0>", member_compressor("isal", 2))
    pool = worker_pool(1, WARC_PACKING)
    try:
        there = pool.submit(pack_exchange, sent, "<urn:uuid:0>", "isal", 2).result(timeout=60)
    finally:
        pool.shutdown()
    assert there.members == here.members and there.entries == here.entries
    assert [r.headers for r in there.records] == [r.headers for r in here.records]
    assert there.records[0].payload == b""  # the body does not travel back
    assert there.with_payload(sent.payload).records[0].to_bytes() == here.records[0].to_bytes()


@pytest.fixture
def crawler(tmp_path: Path) -> Iterator[Crawler]:
    built = get_crawler(
        Spider,
        project_settings(
            {
                "DATA_DIR": str(tmp_path),
                "EXTENSIONS": {CrawlStateExtension: 100},
                "WARC_PROCESSES": 1,
            }
        ),
    )
    yield built
    state = crawl_state(built)
    if state is not None:
        state.close()


def fetch(middleware: WarcMiddleware, number: int, size: int) -> tuple[Request, bytes]:
    request = Request(f"{PAGE}?n={number}", meta={"source": "s", "kind": "article"})
    body = page(number, size)
    response = Response(request.url, body=body, request=request)
    assert asyncio.run(middleware.process_response(request, response)) is response
    return request, body


def test_big_responses_are_packed_by_workers_and_written_beside_their_requests(
    crawler: Crawler,
) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)
    sizes = [100, PROCESS_BYTES - 1, PROCESS_BYTES, 5 * PROCESS_BYTES] * 3
    requests = [Request(f"{PAGE}?n={n}", meta={"source": "s"}) for n in range(len(sizes))]
    bodies = [page(n, size)[:size] for n, size in enumerate(sizes)]

    async def fetch_all() -> None:
        await asyncio.gather(
            *(
                middleware.process_response(request, Response(request.url, body=body))
                for request, body in zip(requests, bodies, strict=True)
            )
        )

    asyncio.run(fetch_all())
    middleware.spider_closed()
    assert crawler.stats.get_value("warc/packed_by_workers") == 6  # the bodies of 64 KiB or more
    (path,) = middleware.writer.directory.glob("*.warc.gz")
    for request, body in zip(requests, bodies, strict=True):
        assert archived(path, request) == body
    pairs = [record for record, _, _ in iter_records(path)][1:]
    for response, sent in zip(pairs[::2], pairs[1::2], strict=True):
        assert (response.rec_type, sent.rec_type) == ("response", "request")
        assert sent.rec_headers.get_header("WARC-Concurrent-To") == response.rec_headers.get_header(
            "WARC-Record-ID"
        )


def archived(path: Path, request: Request) -> bytes:
    """The payload of the response record ``request.meta["warc"]`` points at, its digest checked."""
    location = request.meta["warc"]
    with open(path, "rb") as stream:
        stream.seek(location["offset"])
        record = next(iter(ArchiveIterator(stream, check_digests="raise")))
        assert record.rec_headers.get_header("WARC-Record-ID") == location["record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == request.url
        return record.content_stream().read()


def test_a_killed_packer_loses_no_record(crawler: Crawler) -> None:
    middleware = build_from_crawler(WarcMiddleware, crawler)
    first, _ = fetch(middleware, 1, 2 * PROCESS_BYTES)
    assert middleware.packers is not None and middleware.packers.pool.executor is not None
    for process in list(middleware.packers.pool.executor._processes.values()):  # type: ignore[attr-defined]
        process.kill()
        process.join()
    fetched = [fetch(middleware, n, 2 * PROCESS_BYTES) for n in (2, 3)]
    middleware.spider_closed()
    assert crawler.stats.get_value("warc/packer_restarts") == 1
    # the first and the third by workers (the third by the new pool), the second here
    assert crawler.stats.get_value("warc/packed_by_workers") == 2
    (path,) = middleware.writer.directory.glob("*.warc.gz")
    for request, body in fetched:
        assert archived(path, request) == body
    assert archived(path, first)
