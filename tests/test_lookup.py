"""CaptureIndex: archived responses found by URL through the CDXJ indexes, revisits resolved."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive import cdxj, mergedindex
from archive.digest import sha1_digest
from archive.http import response_head
from archive.lookup import CaptureIndex
from archive.records import (
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    RecordFactory,
    WarcRecord,
    warc_date,
)
from archive.writer import WarcWriter

START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


class Clock:
    """A clock that moves a minute at each reading, so captures have distinct timestamps."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def archive_of(tmp_path: Path, write) -> CaptureIndex:  # type: ignore[no-untyped-def]
    writer = WarcWriter(tmp_path, factory=RecordFactory(clock=Clock()))
    write(writer)
    writer.close()
    return CaptureIndex(tmp_path)


def response(writer: WarcWriter, url: str, body: bytes, headers: list | None = None) -> WarcRecord:
    head = response_head(200, headers or [("Content-Type", "text/html")], len(body))
    record = writer.factory.response(url, head, body)
    writer.write([record])
    return record


def revisit(writer: WarcWriter, url: str, status: int, original: WarcRecord, headers: list) -> None:
    head = response_head(status, headers, 0)
    head = head[: head.rfind(b"Content-Length")] + b"\r\n"
    writer.write(
        [
            writer.factory.revisit(
                url,
                head,
                profile=PROFILE_NOT_MODIFIED if status == 304 else PROFILE_IDENTICAL,
                refers_to=original.record_id,
                refers_to_uri=original.header("WARC-Target-URI") or "",
                refers_to_date=original.date,
                payload_digest=sha1_digest(b"first"),
            )
        ]
    )


def test_the_latest_capture_of_the_url_wins(tmp_path: Path) -> None:
    def write(writer: WarcWriter) -> None:
        response(writer, "http://example.com/a", b"first")
        response(writer, "http://example.com/a", b"second")
        response(writer, "http://example.com/b", b"other")

    index = archive_of(tmp_path, write)
    assert len(index) == 3
    assert index.page("http://example.com/a").payload == b"second"
    assert index.page("http://example.com/b").payload == b"other"
    assert index.page("http://example.com/c") is None


def test_a_url_of_the_same_key_is_found_but_the_very_url_wins(tmp_path: Path) -> None:
    def write(writer: WarcWriter) -> None:
        response(writer, "http://example.com/q?a=1&b=2", b"exact")
        response(writer, "http://www.example.com/q?b=2&a=1", b"same key, later")

    index = archive_of(tmp_path, write)
    assert index.page("http://example.com/q?a=1&b=2").payload == b"exact"
    assert index.page("http://example.com/q?b=2&a=1").payload == b"same key, later"
    assert index.page("https://example.com/q?b=2&a=1").payload == b"same key, later"


def test_an_identical_payload_revisit_keeps_its_head_and_gets_the_original_payload(
    tmp_path: Path,
) -> None:
    def write(writer: WarcWriter) -> None:
        original = response(
            writer,
            "http://example.com/a",
            b"first",
            [("Content-Type", "text/html"), ("ETag", '"1"')],
        )
        revisit(
            writer,
            "http://example.com/a",
            200,
            original,
            [("Content-Type", "text/html"), ("ETag", '"2"')],
        )

    page = archive_of(tmp_path, write).page("http://example.com/a")
    assert (page.status, page.header("ETag"), page.payload) == (200, '"2"', b"first")
    assert page.revisit_of


def test_a_not_modified_revisit_stands_for_the_original_answer(tmp_path: Path) -> None:
    def write(writer: WarcWriter) -> None:
        original = response(
            writer,
            "http://example.com/a",
            b"first",
            [("Content-Type", "text/html"), ("ETag", '"1"')],
        )
        revisit(writer, "http://example.com/a", 304, original, [("ETag", '"1"')])

    page = archive_of(tmp_path, write).page("http://example.com/a")
    assert (page.status, page.header("Content-Type"), page.payload) == (200, "text/html", b"first")


def test_a_revisit_without_its_original_falls_back_to_an_earlier_capture(tmp_path: Path) -> None:
    def write(writer: WarcWriter) -> None:
        response(writer, "http://example.com/a", b"older, other digest")
        lost = WarcRecord(
            [
                ("WARC-Record-ID", "<urn:uuid:lost>"),
                ("WARC-Date", warc_date(START)),
                ("WARC-Target-URI", "http://example.com/a"),
            ]
        )
        revisit(writer, "http://example.com/a", 200, lost, [("Content-Type", "text/html")])

    assert (
        archive_of(tmp_path, write).page("http://example.com/a").payload == b"older, other digest"
    )


def files_in_one_second(directory: Path, first: int, count: int) -> None:
    """``count`` WARC files captured in the same second, each with the same URLs; a later file's
    captures sort first in a merged index (a lower status), so only file order tells them apart."""
    for number in range(first, first + count):
        writer = WarcWriter(directory, factory=RecordFactory(clock=lambda: START), pid=number)
        for page in range(5):
            url = f"http://a.test/{page}" + ("?v" if number % 2 else "")
            body = f"file {number} page {page}".encode()
            head = response_head(299 - number, [("Content-Type", "text/html")], len(body))
            writer.write([writer.factory.response(url, head, body)])
        writer.close()


def answers(index: CaptureIndex) -> list[object]:
    urls = [f"http://a.test/{page}{suffix}" for page in range(5) for suffix in ("", "?v")]
    found = [[entry.line() for entry in index.captures(url)] for url in urls]
    pages = [index.page(url) for url in urls]
    return [len(index), index.files, found, [page and page.payload for page in pages]]


def test_lookups_through_the_merged_index_answer_as_each_index_searched_alone(
    tmp_path: Path,
) -> None:
    files_in_one_second(tmp_path, 1, 6)
    merged = tmp_path / "indexes" / "merged.cdxj"
    alone = CaptureIndex(tmp_path, merge_above=100)
    expected = answers(alone)
    assert not merged.exists() and expected[0] == 30 and expected[1] == 6
    assert answers(CaptureIndex(tmp_path, merge_above=2)) == expected
    built = merged.stat().st_mtime_ns
    assert merged.read_bytes().count(b"\n") == 31  # a header line and every capture

    files_in_one_second(tmp_path, 7, 2)  # not merged yet: searched beside the merged index
    expected = answers(CaptureIndex(tmp_path, merge_above=100))
    assert answers(CaptureIndex(tmp_path, merge_above=2)) == expected
    assert merged.stat().st_mtime_ns == built

    files_in_one_second(tmp_path, 9, 1)  # three not merged: merged again
    expected = answers(CaptureIndex(tmp_path, merge_above=100))
    assert answers(CaptureIndex(tmp_path, merge_above=2)) == expected
    assert merged.read_bytes().count(b"\n") == 46 and merged.stat().st_mtime_ns != built


def test_the_merged_index_is_rebuilt_when_an_index_it_holds_changes_or_goes(
    tmp_path: Path,
) -> None:
    files_in_one_second(tmp_path, 1, 4)
    CaptureIndex(tmp_path, merge_above=1)
    warcs = sorted(tmp_path.glob("*.warc.gz"))
    index = tmp_path / "indexes" / (warcs[0].name + ".cdxj")
    index.write_bytes(b"".join(index.read_bytes().splitlines(keepends=True)[1:]))
    expected = answers(CaptureIndex(tmp_path, merge_above=100))
    assert expected[0] == 19 and answers(CaptureIndex(tmp_path, merge_above=1)) == expected
    warcs[1].unlink()
    expected = answers(CaptureIndex(tmp_path, merge_above=100))
    assert expected[0] == 14 and answers(CaptureIndex(tmp_path, merge_above=1)) == expected
    (tmp_path / "indexes" / "merged.cdxj").write_bytes(b"torn")  # not a merged index: rebuilt
    assert answers(CaptureIndex(tmp_path, merge_above=1)) == expected


def test_more_indexes_than_are_opened_at_once_are_merged_in_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cdxj, "MERGE_FAN_IN", 2)
    files_in_one_second(tmp_path, 1, 7)
    expected = answers(CaptureIndex(tmp_path, merge_above=100))
    assert answers(CaptureIndex(tmp_path, merge_above=1)) == expected and expected[0] == 35
    assert (tmp_path / "indexes" / "merged.cdxj").read_bytes().count(b"\n") == 36


def test_a_merge_cut_short_leaves_a_part_removed_on_the_next_open_unless_its_writer_lives(
    tmp_path: Path,
) -> None:
    files_in_one_second(tmp_path, 1, 4)
    folder = tmp_path / "indexes"
    expected = answers(CaptureIndex(tmp_path, merge_above=100))
    stray = folder / ".merged-dead.part"
    stray.write_bytes(b"!merged [")  # what a kill -9 during the merge leaves
    with mergedindex.merging(folder) as locked:  # a merge in progress: its part stays
        assert locked
        assert answers(CaptureIndex(tmp_path, merge_above=100)) == expected
        assert answers(CaptureIndex(tmp_path, merge_above=100)) == expected
        assert stray.exists()
    assert answers(CaptureIndex(tmp_path, merge_above=1)) == expected  # merged: parts go
    assert not stray.exists()
    stray.write_bytes(b"!merged [")
    assert answers(CaptureIndex(tmp_path, merge_above=1)) == expected  # merged index current
    assert not stray.exists() and mergedindex.stray_parts(folder) == []


def test_a_process_finding_another_merging_waits_and_takes_its_merged_index(
    tmp_path: Path,
) -> None:
    files_in_one_second(tmp_path, 1, 4)
    folder = tmp_path / "indexes"
    merged = folder / mergedindex.MERGED_NAME
    expected = answers(CaptureIndex(tmp_path, merge_above=100))
    opened: list[CaptureIndex] = []
    with mergedindex.merging(folder):  # another process is merging
        waiting = threading.Thread(
            target=lambda: opened.append(CaptureIndex(tmp_path, merge_above=1))
        )
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and not merged.exists()
        mergedindex.write_merged(merged, sorted(folder.glob("*.warc.gz.cdxj")))
        written = merged.stat().st_ino
    waiting.join(30)
    assert not waiting.is_alive() and merged.stat().st_ino == written  # not merged again
    assert opened[0]._merged == 1 and answers(opened[0]) == expected


def test_processes_opening_an_archive_at_once_merge_its_indexes_once(tmp_path: Path) -> None:
    files_in_one_second(tmp_path, 1, 40)
    script = (
        "import logging, sys\n"
        "from archive.lookup import CaptureIndex\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(message)s')\n"
        "sys.stdin.read()\n"  # all start, then all open at once
        f"print(len(CaptureIndex({str(tmp_path)!r}, merge_above=1)))\n"
    )
    root = Path(__file__).resolve().parent.parent
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        for _ in range(4)
    ]
    time.sleep(1)
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.close()
    outputs = []
    for worker in workers:
        assert worker.stdout is not None
        outputs.append(worker.stdout.read())
        assert worker.wait(120) == 0
    assert all(output.endswith("200\n") for output in outputs), outputs
    assert sum(output.count("Merged 40 index files") for output in outputs) == 1


def test_a_capture_is_read_whatever_length_its_index_line_gives(tmp_path: Path) -> None:
    def write(writer: WarcWriter) -> None:
        response(writer, "http://example.com/a", b"first")
        response(writer, "http://example.com/b", b"other")

    archive_of(tmp_path, write).close()
    [index] = (tmp_path / cdxj.INDEX_FOLDER).glob("*.cdxj")
    lines = index.read_text().splitlines()
    for wrong in ('"length": "7"', '"length": "999999"'):
        index.write_text(
            "\n".join(line.replace('"length": "', wrong + ', "was": "') for line in lines) + "\n"
        )
        found = CaptureIndex(tmp_path)
        assert found.page("http://example.com/a").payload == b"first"
        assert found.page("http://example.com/b").payload == b"other"
        found.close()
