"""WARC files: naming, .open while written, rotation, crash repair, warcio check."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from archive.capture import read_capture
from archive.http import request_block, response_head
from archive.pages import iter_pages
from archive.records import RecordFactory
from archive.writer import WarcWriter, repair_open_files
from tests.warcs import iter_records, read_record_at

NAME = re.compile(r"^news-\d{14}-\d{5}-[\w.-]+-\d+\.warc\.gz$")


def write_pair(writer: WarcWriter, url: str, body: bytes) -> list:
    factory = writer.factory
    head = response_head(200, [("Content-Type", "text/html")], len(body))
    response = factory.response(url, head, body)
    request = factory.request(url, request_block("GET", url, []), response)
    return writer.write([response, request])


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_file_is_open_while_written_then_renamed(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, info={"software": "test"})
    locations = write_pair(writer, "http://example.com/", b"<p>one</p>")
    assert [p.name for p in tmp_path.iterdir()] == [locations[0].filename + ".open"]
    writer.close()
    files = [path for path in tmp_path.iterdir() if path.is_file()]
    assert [p.name for p in files] == [locations[0].filename]
    assert NAME.match(files[0].name)
    assert warcio_check(files[0]).returncode == 0


@pytest.mark.parametrize(("engine", "level"), [("zlib", 6), ("isal", 2), ("isal", 0)])
def test_each_record_is_one_gzip_member_at_its_offset(
    tmp_path: Path, engine: str, level: int
) -> None:
    writer = WarcWriter(tmp_path, engine=engine, compresslevel=level)
    locations = write_pair(writer, "http://example.com/a", b"<p>alpha</p>" * 2000)
    locations += write_pair(writer, "http://example.com/b", b"<p>beta</p>")
    writer.close()
    path = tmp_path / locations[0].filename
    data = path.read_bytes()
    member = data[locations[0].offset : locations[0].offset + locations[0].length]
    assert gzip.decompress(member).startswith(b"WARC/1.1\r\nWARC-Type: response\r\n")
    record = read_record_at(path, locations[1].offset)
    assert record.rec_type == "request"
    # The file, member by member: each a standard gzip member holding exactly one record,
    # where warcio finds the records.
    members, position = [], 0
    while position < len(data):
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        record_bytes = inflate.decompress(data[position:])
        assert inflate.eof
        length = len(data) - position - len(inflate.unused_data)
        assert record_bytes.startswith(b"WARC/1.1\r\n")
        assert record_bytes.count(b"WARC/1.1\r\n") == 1
        members.append((position, length))
        position += length
    read = list(iter_records(path))
    assert [(offset, length) for _, offset, length in read] == members
    assert [record.rec_type for record, _, _ in read] == [
        "warcinfo",
        "response",
        "request",
        "response",
        "request",
    ]
    assert [(where.offset, where.length) for where in locations] == members[1:]
    assert warcio_check(path).returncode == 0


def test_an_engine_or_level_it_lacks_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="gzip level 6 is not one of isal's"):
        WarcWriter(tmp_path, engine="isal", compresslevel=6)
    with pytest.raises(ValueError, match="unknown gzip engine 'lzma'"):
        WarcWriter(tmp_path, engine="lzma")


def test_rotation_keeps_pairs_together_and_starts_each_file_with_warcinfo(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, max_size=2000)
    for n in range(6):
        write_pair(writer, f"http://example.com/{n}", b"x" * 900 + str(n).encode())
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 1 and len(set(writer.finished)) == len(files)
    for path in files:
        kinds = [record.rec_type for record, _, _ in iter_records(path)]
        assert kinds[0] == "warcinfo" and kinds.count("warcinfo") == 1
        assert kinds[1:] == ["response", "request"] * ((len(kinds) - 1) // 2)
        assert warcio_check(path).returncode == 0


def test_records_packed_for_a_file_since_rotated_name_the_warcinfo_of_theirs(
    tmp_path: Path,
) -> None:
    writer = WarcWriter(tmp_path, max_size=2000)
    factory = writer.factory
    packed = []
    for n in range(4):  # packed in turn while the file fills and rotates, as threads would
        url = f"http://example.com/{n}"
        body = b"x" * 900 + str(n).encode()
        head = response_head(200, [], len(body))
        response = factory.response(url, head, body)
        packed.append(writer.pack([response, factory.request(url, b"GET / HTTP/1.1", response)]))
        if n % 2:
            writer.write_packed(packed[-2])
            writer.write_packed(packed[-1])
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 1
    for path in files:
        records = [record for record, _, _ in iter_records(path)]
        info = records[0].rec_headers.get_header("WARC-Record-ID")
        assert [r.rec_headers.get_header("WARC-Warcinfo-ID") for r in records[1:]] == [info] * (
            len(records) - 1
        )
        assert warcio_check(path).returncode == 0


def test_repair_cuts_a_torn_file_back_to_its_last_whole_record(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, pid=999_999_999)
    write_pair(writer, "http://example.com/1", b"<p>kept</p>")
    locations = write_pair(writer, "http://example.com/2", b"<p>torn</p>" * 50)
    open_path = tmp_path / (writer.filename + ".open")
    whole = open_path.read_bytes()
    open_path.write_bytes(whole[: locations[0].offset + locations[0].length // 2])
    writer._file = None  # the writer "crashed"
    repaired = repair_open_files(tmp_path)
    assert [p.name for p in repaired] == [writer.filename]
    assert repaired[0].read_bytes() == whole[: locations[0].offset]
    assert warcio_check(repaired[0]).returncode == 0
    urls = [r.rec_headers.get_header("WARC-Target-URI") for r, _, _ in iter_records(repaired[0])]
    assert urls == [None, "http://example.com/1", "http://example.com/1"]


def test_repair_leaves_files_of_a_live_writer_alone(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)  # this process: alive
    write_pair(writer, "http://example.com/", b"<p>x</p>")
    assert repair_open_files(tmp_path) == []
    assert (tmp_path / (writer.filename + ".open")).exists()
    writer.close()


def test_repair_removes_a_file_without_any_whole_record(tmp_path: Path) -> None:
    path = tmp_path / "news-20260101000000-00001-otherhost-1.warc.gz.open"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    assert repair_open_files(tmp_path) == []
    assert not path.exists()


def test_factory_ids_are_unique() -> None:
    factory = RecordFactory()
    assert len({factory.new_id() for _ in range(100)}) == 100


def test_stored_responses_come_back_where_the_writer_put_them(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    first = write_pair(writer, "http://example.com/a", b"<p>alpha</p>")[0]
    second = write_pair(writer, "http://example.com/b", b"<p>beta</p>")[0]
    writer.close()
    path = tmp_path / first.filename
    listed = list(iter_pages([path]))
    assert [(r.url, r.payload, r.location["record_id"]) for r in listed] == [
        ("http://example.com/a", b"<p>alpha</p>", first.record_id),
        ("http://example.com/b", b"<p>beta</p>", second.record_id),
    ]
    assert [(r.location["offset"], r.location["length"]) for r in listed] == [
        (first.offset, first.length),
        (second.offset, second.length),
    ]
    again, _ = read_capture(path, second.offset)
    assert (again.payload, again.status, again.location["offset"], again.location["length"]) == (
        b"<p>beta</p>",
        200,
        second.offset,
        second.length,
    )
