"""A full disk: a failed write is undone to the last whole record, stops the crawl, and the next run completes."""

from __future__ import annotations

import errno
import gzip
import json
import re
import resource
import sqlite3
from pathlib import Path

import pytest

from archive.cdxj import index_path
from archive.writer import WarcWriter, WriteFailed, repair_finished_files
from scraper import exitcodes
from sitefixture.processes import wait_for_pool
from sitefixture.scrapyrun import run_scrapy, start_scrapy
from tests.conftest import TEST_SETTINGS, ServedSite, crawl, warcio_check
from tests.test_writer import write_pair
from tests.warcs import iter_records


class FillingFile:
    """A raw file whose writes fail with ENOSPC once ``room`` bytes in all were written."""

    def __init__(self, path: Path, budget: list[int]) -> None:
        self.raw = open(path, "xb", buffering=0)  # noqa: SIM115 - closed by the writer
        self.budget = budget

    def write(self, data: memoryview) -> int:
        if self.budget[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        taken = min(len(data), self.budget[0])
        self.budget[0] -= taken
        return self.raw.write(data[:taken]) or 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.raw, name)


def filling_opener(room: int):
    budget = [room]
    return lambda path: FillingFile(path, budget)


def decodes(path: Path, offset: int, length: int) -> bool:
    with path.open("rb") as stream:
        stream.seek(offset)
        return gzip.decompress(stream.read(length)).startswith(b"WARC/1.1\r\n")


def test_a_write_that_fails_midway_is_cut_back_and_every_later_write_refused(
    tmp_path: Path,
) -> None:
    writer = WarcWriter(tmp_path, opener=filling_opener(6000))
    written = []
    with pytest.raises(WriteFailed) as failure:
        for n in range(100):
            written.append(
                write_pair(writer, f"http://example.com/{n}", f"<p>{n}</p>".encode() * 50)
            )
    assert 1 <= len(written) < 100
    open_path = tmp_path / (writer.filename + ".open")
    assert str(failure.value).startswith(f"{open_path}: No space left on device")
    end = written[-1][1].offset + written[-1][1].length
    assert open_path.stat().st_size == end  # the torn pair is gone, the whole ones stay
    with pytest.raises(WriteFailed):
        write_pair(writer, "http://example.com/later", b"<p>later</p>")
    assert open_path.stat().st_size == end
    writer.close()
    final = tmp_path / writer.filename
    assert warcio_check([final]) == ""
    for response, request in written:
        assert decodes(final, response.offset, response.length) and decodes(
            final, request.offset, request.length
        )
    urls = [r.rec_headers.get_header("WARC-Target-URI") for r, _, _ in iter_records(final)][1::2]
    assert urls == [f"http://example.com/{n}" for n in range(len(written))]
    indexed = index_path(final).read_text().splitlines()
    assert len(indexed) == len(written)  # the index knows only the whole records


def test_a_file_whose_first_record_cannot_be_written_is_removed(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, opener=filling_opener(100))
    with pytest.raises(WriteFailed):
        write_pair(writer, "http://example.com/", b"<p>x</p>")
    writer.close()
    assert list(tmp_path.iterdir()) == []


def test_start_up_repair_cuts_the_torn_tail_of_a_finished_file(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    for n in range(3):
        write_pair(writer, f"http://example.com/{n}", b"<p>whole</p>" * 20)
    writer.close()
    whole = tmp_path / writer.finished[0]
    torn = tmp_path / "news-20260101000000-00009-otherhost-1.warc.gz"
    good = whole.read_bytes()
    member = gzip.compress(
        b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 5000\r\n\r\n" + b"y" * 5000
    )
    torn.write_bytes(good + member[: len(member) // 2])
    assert repair_finished_files(tmp_path) == [torn]
    assert torn.read_bytes() == good
    assert warcio_check([torn, whole]) == ""
    assert repair_finished_files(tmp_path) == []  # whole files are left alone


def limited_crawl(
    workdir: Path, sources: str, slack: int, settings: dict[str, str]
) -> tuple[int, str]:
    """Crawl, and once the extraction pool runs, let no file of the crawl grow ``slack`` bytes past the
    largest: RLIMIT_FSIZE makes such a write fail with EFBIG, as a full disk would (Python ignores
    SIGXFSZ). The pool's processes, started before, keep no limit: they load their model through a
    large temporary file.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sources.toml").write_text(sources)
    data = workdir / "data"
    settings = {
        **TEST_SETTINGS,
        **settings,
        "SOURCES_FILE": str(workdir / "sources.toml"),
        "DATA_DIR": str(data),
    }
    with start_scrapy(["crawl", "news"], workdir, settings) as process:
        assert wait_for_pool(process), "the extraction pool never started"
        largest = max(path.stat().st_size for path in data.rglob("*") if path.is_file())
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (largest + slack, largest + slack))
        output, _ = process.communicate(timeout=180)
    return process.returncode, output


@pytest.mark.parametrize(
    ("settings", "failing_files"),
    [
        ({}, ("state.sqlite: disk I/O error",)),  # its journal grows fastest: the state fails first
        # Without the state, the WARC file or the corpus's lookup index meets the limit first.
        (
            {"CRAWL_STATE_ENABLED": "False"},
            (".warc.gz.open: File too large", "the corpus index: disk I/O error"),
        ),
    ],
    ids=["state", "warc"],
)
def test_a_crawl_that_fills_the_disk_stops_with_io_error_and_the_next_run_completes(
    settings: dict[str, str], failing_files: tuple[str, ...], news_site: ServedSite, tmp_path: Path
) -> None:
    news_site.server.delay = 0.1  # time to set the limit while articles are still coming
    sources = news_site.site.source_toml(news_site.server.base_url)
    code, log = limited_crawl(tmp_path, sources, 8000, {**settings, "CONCURRENT_REQUESTS": "2"})
    assert code == exitcodes.IO_ERROR, log[-3000:]
    failed = [line for line in log.splitlines() if "Write failed, the crawl stops" in line]
    assert len(failed) == 1 and any(name in failed[0] for name in failing_files), failed
    assert "Traceback" not in log, log
    assert "Exit code 74: a write failed" in log
    data = tmp_path / "data"
    archive = data / "archive"
    assert not list(archive.glob("*.open"))
    warcs = sorted(archive.glob("*.warc.gz"))
    assert warcs and warcio_check(warcs) == ""
    # Nothing points at bytes that were not written: the state, the manifest and the index.
    places = []
    if (data / "state.sqlite").exists():
        state = sqlite3.connect(data / "state.sqlite")
        rows = state.execute(
            "SELECT warc_filename, warc_offset, warc_length FROM urls WHERE warc_filename IS NOT NULL"
        )
        places += [tuple(row) for row in rows]
    manifest = [
        json.loads(line) for line in (data / "corpus" / "index.jsonl").read_text().splitlines()
    ]
    places += [(e["warc"]["filename"], e["warc"]["offset"], e["warc"]["length"]) for e in manifest]
    for warc in warcs:
        for line in index_path(warc).read_text().splitlines():
            fields = json.loads(line.split(" ", 2)[2])
            places.append((fields["filename"], int(fields["offset"]), int(fields["length"])))
    assert places
    for name, offset, length in places:
        assert decodes(archive / name, offset, length), (name, offset)

    result = crawl(tmp_path, sources)
    assert result.returncode == exitcodes.OK, result.log[-3000:]
    assert warcio_check(result.warc_files()) == ""
    latest = {entry["canonical_url"] for entry in result.manifest()}
    assert latest == news_site.corpus_urls()


@pytest.mark.parametrize("state", [True, False], ids=["state", "corpus-index"])
def test_a_crawl_that_cannot_open_its_databases_stops_with_io_error_in_one_line(
    state: bool, tmp_path: Path
) -> None:
    """No file may grow past a page of SQLite's: the disk is full before the crawl begins.

    A sound state, which a full disk keeps from being opened even to read, was named damaged
    (exit 2, "move it away"); the corpus index rebuilt itself until Python's recursion limit.
    """
    settings = {} if state else {"CRAWL_STATE_ENABLED": "False"}
    failing_file = "state.sqlite" if state else ".lookup.sqlite"
    if state:
        (tmp_path / "data").mkdir()
        made = sqlite3.connect(tmp_path / "data" / "state.sqlite")
        made.execute("PRAGMA journal_mode=WAL")
        made.execute("CREATE TABLE t (x)")
        made.close()  # its -shm goes with it: reading it again needs a new one
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n')
    settings = {
        **TEST_SETTINGS,
        **settings,
        "SOURCES_FILE": str(tmp_path / "sources.toml"),
        "DATA_DIR": str(tmp_path / "data"),
    }
    done = run_scrapy(["crawl", "news"], tmp_path, settings, limit=(resource.RLIMIT_FSIZE, 4096))
    assert done.returncode == exitcodes.IO_ERROR, done.stderr[-3000:]
    assert re.search(rf"error: .*{re.escape(failing_file)}: ", done.stderr), done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
