"""IncrementalMiddleware on its own: which requests get validators."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from archive.http import response_head
from archive.writer import WarcWriter
from scraper.downloadermiddlewares.incremental import IncrementalMiddleware
from scraper.state import Capture, CrawlState

FEED = "http://127.0.0.1:9/feed.rss"
CAPTURE = Capture("<urn:uuid:1>", "2026-11-20T10:00:00Z", FEED, "sha1:AAAA", "a.warc.gz", 0, 100)


def middleware(tmp_path: Path) -> IncrementalMiddleware:
    state = CrawlState(tmp_path / "state.sqlite")
    state.record_fetch(
        FEED,
        source="s",
        kind="feed",
        fetched_at=CAPTURE.record_date,
        status=200,
        etag='"v1"',
        last_modified="Fri, 20 Nov 2026 10:00:00 GMT",
        capture=CAPTURE,
    )
    return IncrementalMiddleware(state, tmp_path, get_crawler().stats)


def test_known_url_gets_its_validators(tmp_path: Path) -> None:
    request = Request(FEED)
    middleware(tmp_path).process_request(request)
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert request.headers[b"If-Modified-Since"] == b"Fri, 20 Nov 2026 10:00:00 GMT"


def test_unknown_or_unconditional_url_gets_none(tmp_path: Path) -> None:
    subject = middleware(tmp_path)
    for request in (
        Request("http://127.0.0.1:9/other"),
        Request(FEED, meta={"unconditional": True}),
    ):
        subject.process_request(request)
        assert b"If-None-Match" not in request.headers


def test_validators_do_not_follow_a_redirect(tmp_path: Path) -> None:
    subject = middleware(tmp_path)
    request = Request(FEED)
    subject.process_request(request)
    redirected = request.replace(url="http://127.0.0.1:9/new-feed.rss")
    subject.process_request(redirected)
    assert (
        b"If-None-Match" not in redirected.headers
        and b"If-Modified-Since" not in redirected.headers
    )


def test_etag_survives_a_304_without_one(tmp_path: Path) -> None:
    subject = middleware(tmp_path)
    subject.state.record_fetch(
        FEED, source="s", kind="feed", fetched_at="2026-11-21T10:00:00Z", status=304
    )
    known = subject.state.get(FEED)
    assert known is not None and known.capture == CAPTURE
    request = Request(FEED)
    subject.process_request(request)
    assert request.headers[b"If-None-Match"] == b'"v1"'


def test_a_304_within_the_run_is_answered_from_the_warc_file_still_open(tmp_path: Path) -> None:
    """The capture a 304 stands for may sit in the file this run still writes (``*.open``)."""
    writer = WarcWriter(tmp_path)
    body = b"<rss><channel><title>Feed</title></channel></rss>"
    head = response_head(200, [("ETag", '"v1"')], len(body))
    response_record = writer.factory.response(FEED, head, body)
    location = writer.write([response_record])[0]
    assert not (tmp_path / location.filename).exists()  # only the .open file is there
    capture = Capture(
        location.record_id,
        response_record.date,
        FEED,
        "sha1:AAAA",
        location.filename,
        location.offset,
        location.length,
    )
    state = CrawlState(tmp_path / "state.sqlite")
    state.record_fetch(
        FEED,
        source="s",
        kind="feed",
        fetched_at=capture.record_date,
        status=200,
        etag='"v1"',
        capture=capture,
    )
    subject = IncrementalMiddleware(state, tmp_path, get_crawler().stats)
    request = Request(FEED)
    subject.process_request(request)
    answer = subject.process_response(request, Response(FEED, status=304, request=request))
    assert isinstance(answer, Response), "the 304 was not matched with its capture"
    assert answer.status == 200 and answer.body == body and "archived" in answer.flags
    writer.close()
