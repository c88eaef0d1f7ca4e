"""Reading archived responses back from WARC files of other writers, odd cases included."""

from __future__ import annotations

from pathlib import Path

from archive.pages import dechunk, iter_pages

ARTICLE = b"<html><body><article><p>" + b"Caracas and Moscow signed a new accord. " * 30 + b"</p></article></body></html>"


def record(kind: str, url: str, block: bytes, record_id: str, **fields: str) -> bytes:
    headers = [
        "WARC/1.1",
        f"WARC-Type: {kind}",
        f"WARC-Record-ID: <urn:uuid:{record_id}>",
        "WARC-Date: 2026-11-23T07:00:00Z",
        f"WARC-Target-URI: {url}",
        *(f"{name.replace('_', '-')}: {value}" for name, value in fields.items()),
        f"Content-Type: application/http; msgtype={'request' if kind == 'request' else 'response'}",
        f"Content-Length: {len(block)}",
    ]
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + block + b"\r\n\r\n"


def chunked(body: bytes, size: int = 100) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def test_chunked_body_missing_reason_and_revisit_to_another_url(tmp_path: Path) -> None:
    chunked_block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(ARTICLE)
    bare_status = b"HTTP/1.1 200\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + ARTICLE
    revisit_head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    warc = tmp_path / "other-tool.warc"
    warc.write_bytes(
        # wget's order: the request first, the response pointing back at it
        record("request", "http://a.test/x", b"GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n", "1")
        + record("response", "http://a.test/x", chunked_block, "2", WARC_Concurrent_To="<urn:uuid:1>", WARC_Payload_Digest="sha1:AAAA")
        + record("response", "http://a.test/bare", bare_status, "3")
        + record(
            "revisit", "http://a.test/copy", revisit_head, "4",
            WARC_Profile="http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
            WARC_Refers_To="<urn:uuid:3>", WARC_Refers_To_Target_URI="http://a.test/bare", WARC_Payload_Digest="sha1:BBBB",
        )
        + record("revisit", "http://a.test/lost", revisit_head, "5", WARC_Refers_To="<urn:uuid:99>", WARC_Payload_Digest="sha1:CCCC")
    )
    pages = list(iter_pages([warc]))
    assert [(page.url, page.status) for page in pages] == [
        ("http://a.test/x", 200), ("http://a.test/bare", 200), ("http://a.test/copy", 200)
    ]
    first, bare, copy = pages
    assert first.payload == ARTICLE and first.header("Transfer-Encoding") is None
    assert bare.payload == ARTICLE and bare.header("Content-Type") == "text/html; charset=utf-8"
    assert copy.payload == ARTICLE and copy.revisit_of == "<urn:uuid:3>"
    assert first.context.source is None and first.context.kind is None  # other tools say nothing of it
    assert first.location["filename"] == "other-tool.warc" and first.location["offset"] > 0


def test_dechunk_keeps_what_arrived_of_a_cut_stream() -> None:
    assert dechunk(chunked(b"abcdefghij", 3)) == b"abcdefghij"
    assert dechunk(b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n") == b"abcde"
    assert dechunk(chunked(b"abcdefghij", 3)[:-12]) == b"abcdefghi"
    assert dechunk(chunked(b"abcdefghij", 3)[:21]) == b"abcdefgh"
    assert dechunk(b"zz\r\nabc") == b""
