"""Golden WARC records: byte for byte, with a fixed clock and record ids."""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
from datetime import UTC, datetime
from pathlib import Path

from archive.http import request_block, response_head
from archive.records import RecordFactory, warc_date
from archive.writer import WarcWriter


def fixed_factory() -> RecordFactory:
    ids = (f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>" for n in itertools.count(1))
    return RecordFactory(
        clock=lambda: datetime(2026, 11, 23, 7, 0, 0, tzinfo=UTC),
        new_id=lambda: next(ids),
    )


def test_golden_warcinfo_response_request(tmp_path: Path) -> None:
    factory = fixed_factory()
    writer = WarcWriter(
        tmp_path, factory=factory, info={"software": "news-archiver/0.1"}, hostname="host", pid=1
    )
    body = b"<p>hi</p>"
    head = response_head(
        200,
        [
            ("Content-Type", "text/html"),
            ("Transfer-Encoding", "chunked"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Content-Length", "999"),
        ],
        len(body),
    )
    response = factory.response("http://example.com/a?b=1", head, body, ip="127.0.0.1")
    request = factory.request(
        "http://example.com/a?b=1",
        request_block(
            "GET", "http://example.com/a?b=1", [("User-Agent", "t"), ("Accept-Encoding", "gzip")]
        ),
        response,
    )
    locations = writer.write([response, request])
    writer.close()
    data = (tmp_path / "news-20261123070000-00001-host-1.warc.gz").read_bytes()
    members = [gzip.decompress(data[: locations[0].offset])] + [
        gzip.decompress(data[loc.offset : loc.offset + loc.length]) for loc in locations
    ]
    info_bytes, response_bytes, request_bytes = members
    assert info_bytes == (
        b"WARC/1.1\r\nWARC-Type: warcinfo\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000003>\r\n"
        b"WARC-Date: 2026-11-23T07:00:00Z\r\n"
        b"WARC-Filename: news-20261123070000-00001-host-1.warc.gz\r\n"
        b"WARC-Block-Digest: sha1:26ZV6KJ2EIBDWB2OZS74IOQKOQH3C7UB\r\n"
        b"Content-Type: application/warc-fields\r\nContent-Length: 29\r\n\r\n"
        b"software: news-archiver/0.1\r\n\r\n\r\n"
    )
    assert response_bytes == (
        b"WARC/1.1\r\nWARC-Type: response\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Date: 2026-11-23T07:00:00Z\r\n"
        b"WARC-Target-URI: http://example.com/a?b=1\r\n"
        b"WARC-IP-Address: 127.0.0.1\r\n"
        b"WARC-Warcinfo-ID: <urn:uuid:00000000-0000-0000-0000-000000000003>\r\n"
        b"WARC-Block-Digest: sha1:OU2JLBWII564VVSDVCAXQU2G6BH7D5W3\r\n"
        b"WARC-Payload-Digest: sha1:W3N4WQRZLF5DWDHQ4HCTGEQSOELIOZM2\r\n"
        b"Content-Type: application/http; msgtype=response\r\nContent-Length: 141\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Orig-Transfer-Encoding: chunked\r\n"
        b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 9\r\n\r\n<p>hi</p>\r\n\r\n"
    )
    assert request_bytes == (
        b"WARC/1.1\r\nWARC-Type: request\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
        b"WARC-Date: 2026-11-23T07:00:00Z\r\n"
        b"WARC-Target-URI: http://example.com/a?b=1\r\n"
        b"WARC-IP-Address: 127.0.0.1\r\n"
        b"WARC-Warcinfo-ID: <urn:uuid:00000000-0000-0000-0000-000000000003>\r\n"
        b"WARC-Concurrent-To: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Block-Digest: sha1:GCY7PHLKQTTOLQJ2RJWQHDCZ6RVKJX7T\r\n"
        b"Content-Type: application/http; msgtype=request\r\nContent-Length: 80\r\n\r\n"
        b"GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nAccept-Encoding: gzip\r\n\r\n"
        b"\r\n\r\n"
    )


def test_payload_digest_is_over_the_stored_body() -> None:
    body = b"\x1f\x8b compressed bytes"
    head = response_head(200, [("Content-Encoding", "gzip")], len(body))
    record = fixed_factory().response("http://example.com/", head, body)
    expected = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    assert record.header("WARC-Payload-Digest") == expected
    block = head + body
    expected = "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode()
    assert record.header("WARC-Block-Digest") == expected
    assert b"Content-Encoding: gzip\r\n" in head
    assert block.endswith(b"Content-Length: 19\r\n\r\n" + body)
    assert record.to_bytes().endswith(b"Content-Length: 19\r\n\r\n" + body + b"\r\n\r\n")


def test_unknown_status_has_no_reason_and_truncation_is_marked() -> None:
    head = response_head(599, [], 1)
    assert head.startswith(b"HTTP/1.1 599\r\n")
    record = fixed_factory().response("http://example.com/", head, b"x", truncated="length")
    assert record.header("WARC-Truncated") == "length"


def test_request_line_keeps_path_and_query_and_host_port() -> None:
    block = request_block("GET", "http://127.0.0.1:8080/news/x?id=3&p=2", [("Host", "ignored")])
    assert block.startswith(b"GET /news/x?id=3&p=2 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")


def test_warc_date_keeps_microseconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    assert warc_date(moment) == "2026-01-02T03:04:05.000678Z"
