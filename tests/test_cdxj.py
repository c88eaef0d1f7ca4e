"""CDXJ indexes: one per finished WARC file, the lines cdxj-indexer writes for it."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from archive import cdxj
from archive.cdxj import SortedIndex, ensure_indexes, index_path, index_warc, read_index, url_key
from archive.http import request_block, response_head
from archive.records import PROFILE_IDENTICAL
from archive.writer import WarcWriter, repair_open_files
from sitefixture.wget import wget_archive
from tests.conftest import CrawlResult, ServedSite

INDEXER = Path(sys.executable).parent / "cdxj-indexer"


def reference_lines(warc: Path) -> list[str]:
    """cdxj-indexer's sorted index of ``warc``: the reference pywb's own tools write."""
    done = subprocess.run(
        [str(INDEXER), "--sort", str(warc)], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


def our_lines(warc: Path) -> list[str]:
    return index_path(warc).read_text().splitlines()


def write_exchange(
    writer: WarcWriter, url: str, body: bytes, status: int = 200, headers: list | None = None
):
    factory = writer.factory
    head = response_head(
        status, headers or [("Content-Type", "text/html; charset=utf-8")], len(body)
    )
    response = factory.response(url, head, body)
    request = factory.request(url, request_block("GET", url, []), response)
    return writer.write([response, request])[0], response


def test_the_writer_indexes_each_file_it_finishes_as_cdxj_indexer_does(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, max_size=1500)
    _, first = write_exchange(writer, "http://example.com/a?b=1&a=2", b"<p>alpha</p>" * 100)
    write_exchange(
        writer, "http://example.com/moved", b"", 301, [("Location", "http://example.com/a")]
    )
    write_exchange(writer, "http://example.com/none", b"no type", 404, [])
    head = response_head(200, [("Content-Type", "text/html")], 0)
    revisit = writer.factory.revisit(
        "http://example.com/a?b=1&a=2",
        head,
        profile=PROFILE_IDENTICAL,
        refers_to=first.record_id,
        refers_to_uri=first.header("WARC-Target-URI"),
        refers_to_date=first.date,
        payload_digest=first.header("WARC-Payload-Digest"),
    )
    writer.write([revisit])
    writer.close()
    assert len(writer.finished) > 1  # rotation finishes files before close
    for name in writer.finished:
        assert our_lines(tmp_path / name) == reference_lines(tmp_path / name)
    lines = [line for name in writer.finished for line in our_lines(tmp_path / name)]
    assert len(lines) == 4  # requests and warcinfo records are not captures
    assert any('"mime": "warc/revisit"' in line for line in lines)
    assert all(line.startswith("com,example)/") for line in lines)


def test_a_crawl_leaves_an_index_beside_every_warc_file(
    crawled: tuple[ServedSite, CrawlResult],
) -> None:
    _, result = crawled
    for warc in result.warc_files():
        assert our_lines(warc) == reference_lines(warc)
    urls = {entry.url for entry in read_index(result.archive)}
    assert url_key(next(iter(urls))) and any(url.endswith("/robots.txt") for url in urls)


def test_a_repaired_file_is_indexed(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, pid=999_999_999)
    write_exchange(writer, "http://example.com/1", b"<p>kept</p>")
    location, _ = write_exchange(writer, "http://example.com/2", b"<p>torn</p>" * 50)
    open_path = tmp_path / (location.filename + ".open")
    open_path.write_bytes(open_path.read_bytes()[: location.offset + 10])
    writer._fd = None  # the writer "crashed"
    [repaired] = repair_open_files(tmp_path)
    assert [entry.url for entry in read_index(tmp_path)] == ["http://example.com/1"]
    assert our_lines(repaired) == reference_lines(repaired)


def test_other_tools_warc_files_are_indexed_when_missing_or_stale(
    news_site: ServedSite, tmp_path: Path
) -> None:
    warc = wget_archive(news_site.url("/"), tmp_path)
    assert ensure_indexes(tmp_path) == [index_path(warc)]
    assert our_lines(warc) == reference_lines(warc)
    assert ensure_indexes(tmp_path) == []  # up to date
    later = index_path(warc).stat().st_mtime + 10
    os.utime(warc, (later, later))
    assert ensure_indexes(tmp_path) == [index_path(warc)]
    assert len(index_warc(warc)) == len(our_lines(warc)) > 10


def test_the_writer_holds_a_bounded_number_of_index_lines_and_sorts_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cdxj, "RUN_LINES", 4)
    monkeypatch.setattr(cdxj, "UNDO_LINES", 2)
    writer = WarcWriter(tmp_path)
    for n in range(30):  # URLs out of order, so the runs must be merged
        write_exchange(writer, f"http://example.com/{(n * 7) % 30}", f"<p>{n}</p>".encode())
        assert len(writer._entries._lines) < 6  # the rest waits on disk
    writer.close()
    [name] = writer.finished
    assert our_lines(tmp_path / name) == reference_lines(tmp_path / name)
    assert len(our_lines(tmp_path / name)) == 30
    assert sorted(p.name for p in (tmp_path / "indexes").iterdir()) == [
        name + ".cdxj"
    ]  # no runs left


def test_a_sorted_index_is_searched_by_bisection_as_a_full_scan_would(tmp_path: Path) -> None:
    rng = random.Random(5)
    keys = ["com,a)/", "com,a)/x", "com,a)/x?y", "com,b)/", "org,z)/" + "p" * 20000]
    keys += [f"com,{rng.choice('abcde')})/{rng.randrange(50)}" for _ in range(400)]
    lines = sorted(
        f'{key} 2026112{rng.randrange(10)}000000 {{"url": "u{rng.randrange(99)}"}}' for key in keys
    )
    path = tmp_path / "x.cdxj"
    path.write_text("".join(line + "\n" for line in lines))
    index = SortedIndex(path)
    for key in [*set(keys), "com,", "com,a)", "aaa", "zzz", "com,c)/7x"]:
        prefix = key + " "
        assert [line.decode().rstrip("\n") for line in index.lines_with(prefix.encode())] == [
            line for line in lines if line.startswith(prefix)
        ], key
    assert len(index) == len(lines)
    index.close()
