"""Reading archived responses back from WARC files of other writers, odd cases included."""

from __future__ import annotations

import gzip
import io
import os
import random
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from archive.capture import dechunk
from archive.cdxj import has_fresh_index, index_path, index_warc, write_index
from archive.http import request_block, response_head
from archive.pages import iter_pages
from archive.reader import archive_files, parse_record
from archive.writer import RecordLocation, WarcWriter

ARTICLE = (
    b"<html><body><article><p>"
    + b"Caracas and Moscow signed a new accord. " * 30
    + b"</p></article></body></html>"
)


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
    chunked_block = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked(ARTICLE)
    )
    bare_status = b"HTTP/1.1 200\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + ARTICLE
    revisit_head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    warc = tmp_path / "other-tool.warc"
    warc.write_bytes(
        # wget's order: the request first, the response pointing back at it
        record("request", "http://a.test/x", b"GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n", "1")
        + record(
            "response",
            "http://a.test/x",
            chunked_block,
            "2",
            WARC_Concurrent_To="<urn:uuid:1>",
            WARC_Payload_Digest="sha1:AAAA",
        )
        + record("response", "http://a.test/bare", bare_status, "3")
        + record(
            "revisit",
            "http://a.test/copy",
            revisit_head,
            "4",
            WARC_Profile="http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
            WARC_Refers_To="<urn:uuid:3>",
            WARC_Refers_To_Target_URI="http://a.test/bare",
            WARC_Payload_Digest="sha1:BBBB",
        )
        + record(
            "revisit",
            "http://a.test/lost",
            revisit_head,
            "5",
            WARC_Refers_To="<urn:uuid:99>",
            WARC_Payload_Digest="sha1:CCCC",
        )
    )
    pages = list(iter_pages([warc]))
    assert [(page.url, page.status) for page in pages] == [
        ("http://a.test/x", 200),
        ("http://a.test/bare", 200),
        ("http://a.test/copy", 200),
    ]
    first, bare, copy = pages
    assert first.payload == ARTICLE and first.header("Transfer-Encoding") is None
    assert bare.payload == ARTICLE and bare.header("Content-Type") == "text/html; charset=utf-8"
    assert copy.payload == ARTICLE and copy.revisit_of == "<urn:uuid:3>"
    assert (
        first.context.source is None and first.context.kind is None
    )  # other tools say nothing of it
    assert first.location["filename"] == "other-tool.warc" and first.location["offset"] > 0


def test_dechunk_keeps_what_arrived_of_a_cut_stream() -> None:
    assert dechunk(chunked(b"abcdefghij", 3)) == b"abcdefghij"
    assert dechunk(b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n") == b"abcde"
    assert dechunk(chunked(b"abcdefghij", 3)[:-12]) == b"abcdefghi"
    assert dechunk(chunked(b"abcdefghij", 3)[:21]) == b"abcdefgh"
    assert dechunk(b"zz\r\nabc") == b""


def damaged_copies(tmp_path: Path) -> tuple[Path, list[RecordLocation]]:
    """A WARC file of five article exchanges written by our writer, and where each response is."""
    writer = WarcWriter(tmp_path / "whole")
    locations = []
    for n in range(5):
        url = f"http://a.test/{n}"
        body = ARTICLE + str(n).encode()
        head = response_head(200, [("Content-Type", "text/html")], len(body))
        response = writer.factory.response(url, head, body)
        locations.append(
            writer.write(
                [response, writer.factory.request(url, request_block("GET", url, []), response)]
            )[0]
        )
    writer.close()
    return tmp_path / "whole" / writer.finished[0], locations


def test_a_file_cut_inside_a_record_is_read_up_to_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    whole, locations = damaged_copies(tmp_path)
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole.read_bytes()[: locations[3].offset + locations[3].length // 2])
    assert [page.url for page in iter_pages([cut])] == [f"http://a.test/{n}" for n in range(3)]
    assert (
        f"{cut}: bytes {locations[3].offset}-{cut.stat().st_size} hold no whole WARC record"
        in caplog.text
    )
    assert [entry.url for entry in index_warc(cut)] == [f"http://a.test/{n}" for n in range(3)]


def test_garbage_inside_a_file_costs_only_the_record_it_hit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    whole, locations = damaged_copies(tmp_path)
    data = whole.read_bytes()
    middle = locations[2].offset + locations[2].length // 2
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(data[:middle] + b"\x00\xffnot a record" * 50 + data[middle:])
    assert [page.url for page in iter_pages([damaged])] == [
        "http://a.test/0",
        "http://a.test/1",
        "http://a.test/3",
        "http://a.test/4",
    ]
    resumed = (
        locations[2].offset + locations[2].length + len(b"\x00\xffnot a record" * 50)
    )  # at its request
    assert (
        f"{damaged}: bytes {locations[2].offset}-{resumed} hold no whole WARC record" in caplog.text
    )
    assert len(index_warc(damaged)) == 4


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_response_without_its_target_uri_costs_only_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, gzipped: bool
) -> None:
    """warcio fails on it with AttributeError, which stopped a replay, an index, serve, wacz."""
    whole, locations = damaged_copies(tmp_path)
    data = whole.read_bytes()
    member = data[locations[2].offset : locations[2].offset + locations[2].length]
    bad = gzip.decompress(member).replace(b"WARC-Target-URI: http://a.test/2\r\n", b"")
    path = tmp_path / ("bad.warc.gz" if gzipped else "bad.warc")
    if gzipped:
        path.write_bytes(data.replace(member, gzip.compress(bad)))
        expected = [f"http://a.test/{n}" for n in (0, 1, 3, 4)]
    else:  # read up to it: a plain file has no member boundary to start again from
        path.write_bytes(gzip.decompress(data).replace(gzip.decompress(member), bad))
        expected = [f"http://a.test/{n}" for n in (0, 1)]
    assert [page.url for page in iter_pages([path])] == expected
    assert [entry.url for entry in index_warc(path)] == expected
    if gzipped:
        end = locations[2].offset + len(gzip.compress(bad))
        assert (
            f"{path}: bytes {locations[2].offset}-{end} hold a WARC record that cannot be read "
            "(no WARC-Target-URI); left out"
        ) in caplog.text
    else:
        assert f"{path}: bytes " in caplog.text and "hold no whole WARC record" in caplog.text


def test_a_file_that_is_no_warc_at_all_yields_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bogus = tmp_path / "bogus.warc.gz"
    bogus.write_bytes(b"<html>an error page saved under a WARC name</html>")
    assert list(iter_pages([bogus])) == [] and index_warc(bogus) == []
    assert f"{bogus}: bytes 0-{bogus.stat().st_size} hold no whole WARC record" in caplog.text


@pytest.mark.parametrize(
    "garbage",
    [bytes(4096), random.Random(4).randbytes(4096), b"x" * 4096],
    ids=["zeros", "random", "text"],
)
def test_4_kib_overwritten_in_the_middle_of_a_file_loses_only_the_records_under_it(
    garbage: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = WarcWriter(tmp_path / "whole")
    locations = []
    for n in range(300):
        url = f"http://a.test/{n}"
        body = (
            ARTICLE + f"<p>{random.Random(n).randbytes(4000).hex()}</p>".encode()
        )  # over 4 KiB compressed
        head = response_head(200, [("Content-Type", "text/html")], len(body))
        response = writer.factory.response(url, head, body)
        locations.append(
            writer.write(
                [response, writer.factory.request(url, request_block("GET", url, []), response)]
            )[0]
        )
    writer.close()
    path = tmp_path / "whole" / writer.finished[0]
    data = bytearray(path.read_bytes())
    for at in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        data[at : at + len(garbage)] = garbage
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(bytes(data))
    hit = {
        n
        for n, place in enumerate(locations)
        for at in (len(data) // 3, len(data) // 2, 2 * len(data) // 3)
        if place.offset < at + len(garbage) and at < place.offset + place.length
    }
    assert 3 <= len(hit) <= 6
    kept = [f"http://a.test/{n}" for n in range(300) if n not in hit]
    assert [page.url for page in iter_pages([damaged])] == kept
    assert [entry.url for entry in index_warc(damaged)] == kept
    assert (
        caplog.text.count(f"{damaged}: bytes ") == 2 * 3
    )  # each of the two readings names the three spans


def _indexed_archive(folder: Path, pages: int) -> tuple[Path, list[RecordLocation]]:
    """A finished ``.warc.gz`` of ``pages`` article responses with their requests, indexed."""
    writer = WarcWriter(folder)
    locations = []
    for n in range(pages):
        url = f"http://a.test/{n}"
        body = ARTICLE + f"<p>Page {n}.</p>".encode()
        response = writer.factory.response(
            url, response_head(200, [("Content-Type", "text/html")], len(body)), body
        )
        request = writer.factory.request(url, request_block("GET", url, []), response)
        locations.append(writer.write([response, request])[0])
    writer.close()
    warc = folder / writer.finished[0]
    write_index(warc)
    return warc, locations


def test_a_walk_by_the_index_is_lazy_and_reads_whole_from_where_the_file_stops_matching(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warc, locations = _indexed_archive(tmp_path, 40)
    damaged = locations[25]
    data = bytearray(warc.read_bytes())
    data[damaged.offset + 20 : damaged.offset + 60] = bytes(
        40
    )  # same size: the index stays "fresh"
    warc.write_bytes(bytes(data))
    os.utime(index_path(warc))
    assert has_fresh_index(warc)
    walk = iter_pages([warc], payloads=False)
    first = next(walk)
    assert first.url == "http://a.test/0" and first.payload_at == (
        str(warc),
        locations[0].offset,
        locations[0].length,
    )
    assert "does not match its index" not in caplog.text  # nothing past the first page read yet
    rest = list(walk)
    assert [page.url for page in [first, *rest]] == [
        f"http://a.test/{n}" for n in range(40) if n != 25
    ]  # only the damaged record is lost, none is read twice
    assert all(page.payload_at is not None for page in rest[:24])  # by the index
    assert all(page.payload_at is None and page.payload for page in rest[24:])  # read whole
    assert (
        f"{warc} does not match its index from offset {locations[24].offset + locations[24].length}"
        in caplog.text
    )
    assert (
        f"{warc}: bytes {damaged.offset}-{damaged.offset + damaged.length} hold no whole WARC record"
        in caplog.text
    )


def _parsed(record: ArcWarcRecord) -> tuple[object, ...]:
    http = record.http_headers
    return (
        record.format,
        record.rec_type,
        record.rec_headers.protocol,
        record.rec_headers.headers,
        None if http is None else (http.protocol, http.statusline, http.headers),
        record.content_type,
        record.length,
        record.raw_stream.read(),
    )


def test_parse_record_reads_a_record_as_warcios_iterator_does() -> None:
    records = [
        record("request", "http://a.test/x", b"GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n", "1"),
        record(
            "response",
            "http://a.test/x",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Folded: one\r\n two\r\n"
            b"X-Caf\xc3\xa9: cr\xe8me\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(ARTICLE),
            "2",
        ),
        record("response", "http://a.test/bare", b"HTTP/1.1 200\r\n\r\n" + ARTICLE, "3"),
        record("revisit", "http://a.test/empty", b"", "4", WARC_Refers_To="<urn:uuid:3>"),
        record("warcinfo", "", b"software: test\r\n", "5"),
        record("metadata", "dns:a.test", b"a.test. 60 IN A 127.0.0.1\r\n", "6"),
    ]
    for data in records:
        expected = next(iter(ArchiveIterator(io.BytesIO(data))))
        assert _parsed(parse_record(data)) == _parsed(expected)


def test_entries_with_a_warc_name_that_are_no_file_to_read_are_named_and_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A looping link raised OSError out of the replay's first read: no file was replayed."""
    whole, _ = damaged_copies(tmp_path)
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "b.warc.gz").write_bytes(whole.read_bytes())
    (archive / "a-folder.warc.gz").mkdir()
    (archive / "a-loop.warc.gz").symlink_to("a-loop.warc.gz")
    (archive / "c-gone.warc.gz").symlink_to("nowhere.warc.gz")
    (archive / "d-empty.warc").touch()
    assert archive_files(archive) == [archive / "b.warc.gz"]
    for name, why in (
        ("a-folder.warc.gz", "not a file"),
        ("a-loop.warc.gz", "a link to nothing (broken or looping)"),
        ("c-gone.warc.gz", "a link to nothing (broken or looping)"),
        ("d-empty.warc", "empty (0 bytes): no record"),
    ):
        assert f"{archive / name}: {why}; left out" in caplog.text
    assert len(list(iter_pages(archive_files(archive)))) == 5
