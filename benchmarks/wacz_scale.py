"""What a big archive costs ``scrapy wacz`` (peak memory) and replay lookups (per WARC file count).

    python -m benchmarks.wacz_scale [--captures 200000] [--pages 100000] [--files 10,100,1000]
        [--lookup-captures 100000] [--before DIR] [--workdir DIR]

Builds (once; kept in ``--workdir``) an archive of ``--captures`` response records
in 20 WARC files, each with its sorted CDXJ index as the writer leaves it, and a
corpus of ``--pages`` articles (as ``benchmarks.corpus_scale`` builds them), and runs
``scrapy wacz`` on them from this checkout and, with ``--before``, from another source
tree (e.g. ``git archive main | tar -x -C DIR``), runs interleaved: wall time and peak
PSS of each, and whether their ``indexes/index.cdx`` and ``pages/pages.jsonl`` members
(stored bytes and header fields but the date) and their datapackage entries are the same. Then builds archives of ``--lookup-captures`` captures
split into each of ``--files`` WARC files and prints replay lookups per second
(``CaptureIndex.captures`` of random archived URLs) for each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.cdxj import INDEX_FOLDER
from archive.lookup import CaptureIndex
from archive.mergedindex import MERGE_ABOVE, MERGED_NAME
from archive.records import RecordFactory, warc_date
from archive.writer import WarcWriter
from benchmarks.corpus_scale import build_corpus
from benchmarks.proctree import measure

MiB = 2**20
ROOT = Path(__file__).resolve().parent.parent
WACZ_FILES = 20


def _url(number: int) -> str:
    return f"http://site{number % 97}.example.test/news/{number // 97}/story-{number}.html"


def build_archive(directory: Path, captures: int, files: int) -> None:
    """Write ``captures`` small response records into about ``files`` WARC files, with indexes."""
    if (directory / "done").exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(captures * 7919 + files)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    record_size = 420  # about one gzip member below
    writer = WarcWriter(
        directory,
        prefix="bench",
        max_size=max(4096, captures * record_size // files),
        compresslevel=1,
        hostname="bench",
        pid=1,
    )
    factory: RecordFactory = writer.factory
    order = list(range(captures))
    rng.shuffle(order)  # files hold URLs in crawl order, not sorted
    for number in order:
        body = f"<html><title>Story {number}</title><p>{rng.random()}</p></html>".encode()
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        date = warc_date(start + timedelta(seconds=number * 13 + rng.randrange(13)))
        writer.write([factory.response(_url(number), head, body, date=date)])
    writer.close()
    (directory / "done").write_text(str(captures))


def _wacz_run(source: Path, archive: Path, out: Path, corpus: Path) -> tuple[float, int]:
    env = {
        **os.environ,
        "SCRAPY_SETTINGS_MODULE": "scraper.settings",
        "PYTHONPATH": str(source),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = [sys.executable, "-m", "scrapy", "wacz", str(out)]
    command += ["--archive", str(archive), "--corpus", str(corpus)]
    result = measure(command, source, env)
    if result.returncode:
        raise SystemExit(f"scrapy wacz from {source} failed:\n{result.output[-3000:]}")
    return result.seconds, result.peak_rss


def _stored(wacz: Path, info: zipfile.ZipInfo) -> tuple[object, ...]:
    """A member's header fields (but its date) and its stored bytes."""
    with wacz.open("rb") as stream:
        stream.seek(info.header_offset + 26)
        skip = int.from_bytes(stream.read(2), "little") + int.from_bytes(stream.read(2), "little")
        stream.seek(skip, os.SEEK_CUR)
        data = stream.read(info.compress_size)
    fields = (info.compress_type, info.external_attr, info.CRC, info.file_size, info.compress_size)
    return fields + (data,)


def _members(wacz: Path) -> tuple[object, ...]:
    with zipfile.ZipFile(wacz) as package:
        described = json.loads(package.read("datapackage.json"))
        members = [package.getinfo(name) for name in ("indexes/index.cdx", "pages/pages.jsonl")]
    return (*(_stored(wacz, info) for info in members), described["resources"])


def build_pages(workdir: Path, pages: int) -> Path:
    """A corpus of ``pages`` articles (built once), whose articles become the WACZ file's pages."""
    corpus = workdir / f"corpus-{pages}"
    if not (workdir / f"corpus-{pages}.built").exists():
        build_corpus(corpus, pages)
        (workdir / f"corpus-{pages}.built").write_text(str(pages))
    return corpus


def wacz_memory(workdir: Path, captures: int, pages: int, before: Path | None, rounds: int) -> None:
    """Peak PSS and time of ``scrapy wacz`` on the archive, before and after, interleaved."""
    archive = workdir / f"archive-{captures}-{WACZ_FILES}"
    began = time.perf_counter()
    build_archive(archive, captures, WACZ_FILES)
    warcs = sorted(archive.glob("*.warc.gz"))
    size = sum(path.stat().st_size for path in warcs)
    print(
        f"archive: {captures:,} captures in {len(warcs)} WARC files, {size / MiB:.0f} MiB "
        f"(ready in {time.perf_counter() - began:.0f} s)"
    )
    corpus = build_pages(workdir, pages)
    text = sum(path.stat().st_size for path in corpus.glob("*.txt"))
    print(f"corpus: {pages:,} articles, {text / MiB:.0f} MiB of text")
    sources = {"this checkout": ROOT}
    if before:
        sources = {"before": before, **sources}
    outputs = {}
    for round_number in range(rounds):
        for label, source in sources.items():
            out = workdir / f"{label.replace(' ', '-')}.wacz"
            seconds, peak = _wacz_run(source, archive, out, corpus)
            outputs[label] = out
            print(
                f"  round {round_number + 1} {label:>13}: {seconds:6.1f} s, "
                f"peak PSS {peak / MiB:6.0f} MiB"
            )
    if before:
        same = _members(outputs["before"]) == _members(outputs["this checkout"])
        print(f"  index.cdx, pages.jsonl and datapackage resources identical before/after: {same}")


def _lookup_rate(index: CaptureIndex, urls: list[str], seconds: float) -> float:
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        found = index.captures(urls[done % len(urls)])
        assert found, urls[done % len(urls)]
        done += 1
    return done / (time.perf_counter() - began)


def lookups(workdir: Path, captures: int, file_counts: list[int], seconds: float) -> None:
    """Replay lookups per second with the same captures split into each number of WARC files:
    each index file searched alone, then through the merged index (built, then opened again)."""
    rng = random.Random(5)
    urls = [_url(rng.randrange(captures)) for _ in range(100_000)]
    for files in file_counts:
        archive = workdir / f"archive-{captures}-{files}"
        build_archive(archive, captures, files)
        (archive / INDEX_FOLDER / MERGED_NAME).unlink(missing_ok=True)
        for label, merge_above in (
            ("each alone", 10**9),
            ("default", MERGE_ABOVE),
            ("merge all", 0),
        ):
            began = time.perf_counter()
            index = CaptureIndex(archive, merge_above=merge_above)
            opened = time.perf_counter() - began
            rate = _lookup_rate(index, urls, seconds)
            index.close()
            print(
                f"  {index.files:5d} WARC files, {captures:,} captures, {label:>10}: "
                f"open {opened * 1000:7.1f} ms, {rate:8.0f} lookups/s ({1e6 / rate:8.1f} us each)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--captures", type=int, default=200_000)
    parser.add_argument("--pages", type=int, default=100_000, help="corpus articles to list")
    parser.add_argument("--files", default="10,100,1000")
    parser.add_argument("--lookup-captures", type=int, default=100_000)
    parser.add_argument("--lookup-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", type=Path, help="another source tree to run scrapy wacz from")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--skip-wacz", action="store_true")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wacz-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"workdir {workdir} (machine shared with other work: figures are noisy)")
    if not args.skip_wacz:
        print("scrapy wacz:")
        wacz_memory(workdir, args.captures, args.pages, args.before, args.rounds)
    print("replay lookups (CaptureIndex.captures):")
    counts = [int(count) for count in args.files.split(",")]
    lookups(workdir, args.lookup_captures, counts, args.lookup_seconds)


if __name__ == "__main__":
    main()
