"""Replay speed: the corpus rebuilt from the archive, against extraction alone on the same pages.

    python -m benchmarks.replay --pages ../shared/pages
    python -m benchmarks.replay --crawled WORKDIR [--rounds N]

Crawls the pages folder served as a fixture site, stops the server, then in the
same run: ``scrapy replay`` (every core), a crawl from the archive
(``REPLAY_ARCHIVE``), and our extraction alone, in this process, over the
article pages read back from the archive. Prints pages/s of each, and whether
the replayed corpus is the live one byte for byte.

``--crawled WORKDIR`` takes a crawl left by ``benchmarks.crawl --workdir``
(``WORKDIR/sources.toml``, ``WORKDIR/data/archive``; e.g. ``--copies 10`` gives
2,580 article pages) and compares, interleaved over ``--rounds``, the ``--ways``
(default all; ``WAY+NAME=VALUE`` runs one with settings of its own, to alternate two
values of a setting in each round): ``index``, ``scrapy replay`` walking the CDXJ indexes (payloads
read by the extraction workers); ``whole``, ``scrapy replay`` of a copy of the
archive without indexes (payloads read by the crawl process); ``crawl``,
``scrapy crawl news`` from the archive (``REPLAY_ARCHIVE``); and our extraction
limit (``extract_article`` from disk, one process per core) with each one's
ratio to it; then our extraction reading each page from the archive where the
index locates it, one process per core and nothing else (what the workers of a
replay by the index do, without the process that directs them), against the
limit timed just before it.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from multiprocessing import get_context
from pathlib import Path

from archive.pages import ArchivedPage, iter_pages
from archive.reader import archive_files
from benchmarks.peers import Limit, own_limit, timed_limit, warm_both
from benchmarks.proctree import measure
from benchmarks.sharedsite import build_shared_site, load_pages, source_toml
from corpus.extract import DEFAULT_OPTIONS, extract_article
from scraper.fromarchive import ArchivedBody, extract_archived
from sitefixture import FixtureServer
from sitefixture.scrapyrun import crawl, run_scrapy, scrapy_command, setting_assignment


def corpus_bytes(directory: Path) -> dict[str, bytes]:
    """Every file of a corpus, manifest included, by name."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


def article_texts(directory: Path) -> list[bytes]:
    """The article texts of a corpus, without the names its numbering gave them."""
    return [path.read_bytes() for path in directory.glob("*.txt")]


def _article_answers(archive: Path, payloads: bool = True) -> Iterator[ArchivedPage]:
    """Every archived 200 answer to an article request (``payloads=False``: located by the
    index where it can be, unread)."""
    for page in iter_pages(archive_files(archive), payloads=payloads):
        if page.status == 200 and page.context.kind in ("article", None):
            yield page


def archived_articles(archive: Path) -> list[tuple[str, bytes]]:
    """URL and decoded HTML of every archived 200 answer to an article request."""
    pages = []
    for page in _article_answers(archive):
        body = page.payload
        encoding = (page.header("Content-Encoding") or "").lower()
        if encoding in ("gzip", "x-gzip"):
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if b"<html" in body[:2000].lower():
            pages.append((page.url, body))
    return pages


def archived_bodies(archive: Path) -> list[tuple[str, ArchivedBody]]:
    """URL and payload location of every archived 200 answer to an article request that the
    index locates, as ``scrapy replay`` hands them to its extraction workers."""
    return [
        (
            page.url,
            ArchivedBody(
                page.status, page.headers, *page.payload_at, truncated=bool(page.truncated)
            ),
        )
        for page in _article_answers(archive, payloads=False)
        if page.payload_at is not None
    ]


def _from_archive(job: tuple[str, ArchivedBody]) -> float:
    """Read, decode and extract one archived page as replay's workers do; the CPU seconds it took."""
    started = time.process_time()
    extract_archived(*job, DEFAULT_OPTIONS)
    return time.process_time() - started


def archive_limit(jobs: list[tuple[str, ArchivedBody]], processes: int | None = None) -> Limit:
    """Our extraction with each page read from the archive where the index locates it, one
    process per core and nothing else: what a replay reaches with no process to direct it."""
    workers = processes or os.cpu_count() or 1
    with get_context("spawn").Pool(workers) as pool:
        pool.map(warm_both, range(workers))
        return timed_limit(pool, _from_archive, jobs)


def replay(workdir: Path, settings: dict[str, str], corpus: Path) -> float:
    """Run ``scrapy replay`` into ``corpus``; return its wall-clock seconds, process start included."""
    started = time.perf_counter()
    done = run_scrapy(["replay", "--corpus", str(corpus)], workdir / "live", settings, timeout=3600)
    if done.returncode:
        raise SystemExit(f"replay failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def timed(label: str, count: int, seconds: float) -> str:
    return (
        f"{label:<38} {count:>5} article pages in {seconds:6.1f} s = {count / seconds:6.1f} pages/s"
    )


def write_articles(articles: list[tuple[str, bytes]], folder: Path) -> list[tuple[Path, str]]:
    """Write each article's HTML to ``folder``; return (file, URL) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for number, (url, html) in enumerate(articles):
        path = folder / f"{number:06d}.html"
        path.write_bytes(html)
        files.append((path, url))
    return files


WAYS = {
    "index": "scrapy replay, by the index",
    "whole": "scrapy replay, read whole",
    "crawl": "crawl from the archive",
}


def parse_way(way: str) -> tuple[str, dict[str, str]]:
    """``index+NAME=VALUE+...``: the way ``index`` with those settings of its own."""
    name, *assignments = way.split("+")
    if name not in WAYS:
        raise ValueError(f"unknown way {name!r}; known: {', '.join(WAYS)}")
    try:
        return name, dict(setting_assignment(assignment) for assignment in assignments)
    except ValueError as error:
        raise ValueError(f"{way!r}: {error}") from None


def _command(
    way: str, crawled: Path, work: Path, number: int, position: int
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of one ``way`` of rebuilding the corpus, into ``work``."""
    way, own = parse_way(way)
    data = work / f"data-{number}-{way}-{position}"
    settings = {"SOURCES_FILE": str(crawled / "sources.toml"), "DATA_DIR": str(data)}
    if way == "crawl":
        # As benchmarks.crawl crawled it: every page, however many copies.
        as_crawled = {
            "REPLAY_ARCHIVE": str(crawled / "data" / "archive"),
            "CONCURRENT_REQUESTS": "16",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
            "ARTICLES_MAX_PER_RUN": "0",
        }
        return scrapy_command(["crawl", "news"], settings | as_crawled | own)
    archive = crawled / "data" / "archive" if way == "index" else work / "archive-unindexed"
    return scrapy_command(
        ["replay", "--archive", str(archive), "--corpus", str(data / "corpus")], settings | own
    )


def describe(way: str) -> str:
    name, settings = parse_way(way)
    return WAYS[name] + "".join(f" {setting}={value}" for setting, value in settings.items())


def compare_paths(crawled: Path, rounds: int, ways: list[str]) -> None:
    """The ``ways`` of rebuilding the corpus against our limit, interleaved over ``rounds``."""
    archive = crawled / "data" / "archive"
    articles = archived_articles(archive)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if any(parse_way(way)[0] == "whole" for way in ways):
            unindexed = work / "archive-unindexed"
            unindexed.mkdir()
            for warc in archive_files(archive):
                shutil.copyfile(warc, unindexed / warc.name)
        files = write_articles(articles, work / "files")
        located = archived_bodies(archive)
        print(f"{len(articles)} article pages in {len(archive_files(archive))} WARC files")
        for number in range(rounds):
            # The machine's speed drifts from minute to minute: our limit is timed on both
            # sides of the round, and each way compared with their mean.
            before = own_limit(files)
            rates = {}
            for position, way in enumerate(ways):
                command, env = _command(way, crawled, work, number, position)
                done = measure(command, crawled, env)
                if done.returncode:
                    raise SystemExit(f"{describe(way)} failed:\n{done.output[-3000:]}")
                rates[way] = len(articles) / done.seconds
                print(
                    timed(describe(way), len(articles), done.seconds),
                    f"peak PSS {done.peak_rss / 2**20:.0f} MiB ({done.peak_breakdown()})",
                )
                main, others = (1000 * seconds / len(articles) for seconds in done.crawl_threads)
                system, faults = done.root_system
                print(
                    f"  CPU per article page: {done.cpu_per(len(articles))}; of its main process: "
                    f"main thread {main:.2f} ms, other threads {others:.2f} ms, system time "
                    f"{1000 * system / len(articles):.2f} ms, {faults / len(articles):.0f} page faults"
                )
                print(
                    f"  cores busy in each tenth of the run (of {os.cpu_count()}): "
                    + " ".join(f"{busy:.2f}" for busy in done.cores_busy())
                )
            after = own_limit(files)
            limit = Limit.mean(before, after)
            print(
                f"our extraction limit (extract_article from disk, every core): "
                f"{limit.pages_per_second:6.1f} pages/s (before the round "
                f"{before.pages_per_second:.1f}, after {after.pages_per_second:.1f}), "
                f"CPU {limit.cpu_ms_per_page:.1f} ms a page; "
                + ", ".join(
                    f"{way} / limit {rate / limit.pages_per_second:.2f}"
                    for way, rate in rates.items()
                )
            )
            if located:
                read = archive_limit(located)
                print(
                    f"our extraction reading the archive ({len(located)} pages located by the "
                    f"index, every core, nothing else): {read.pages_per_second:6.1f} pages/s, CPU "
                    f"{read.cpu_ms_per_page:.1f} ms a page, {read.pages_per_second / after.pages_per_second:.2f}"
                    " of our limit just before it; "
                    + ", ".join(
                        f"{way} / it {rate / read.pages_per_second:.2f}"
                        for way, rate in rates.items()
                    )
                )
        replayed = sorted(work.glob("data-*-index-*/corpus")) + sorted(
            work.glob("data-*-whole-*/corpus")
        )
        if replayed:
            first = corpus_bytes(replayed[0])
            same = all(corpus_bytes(path) == first for path in replayed[1:])
            print(
                f"identity: all {len(replayed)} replayed corpora {'identical' if same else 'DIFFER'}"
            )
        crawled_again = sorted(work.glob("data-*-crawl-*/corpus"))
        if not crawled_again:
            return
        reference = (replayed + crawled_again)[0]
        expected = Counter(article_texts(reference))
        for path in crawled_again if replayed else crawled_again[1:]:
            # A crawl numbers its articles in the order they arrive: compare the texts.
            found = Counter(article_texts(path))
            apart = (found - expected).total() + (expected - found).total()
            print(
                f"texts: {path.parent.name}: {found.total()} articles, {apart} in only one of it "
                f"and {reference.parent.name}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, help="folder with pages.jsonl and *.html.gz")
    parser.add_argument("--crawled", type=Path, help="a crawl left by benchmarks.crawl --workdir")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of --crawled (default 2)")
    parser.add_argument(
        "--ways",
        default=",".join(WAYS),
        help=f"ways of --crawled to measure, of {', '.join(WAYS)} (default all); "
        "WAY+NAME=VALUE[+...] runs a way with settings of its own (index+EXTRACTION_BATCH=1)",
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the data here (default: a temporary folder)"
    )
    args = parser.parse_args()
    if args.crawled:
        ways = args.ways.split(",")
        try:
            for way in ways:
                parse_way(way)
        except ValueError as error:
            parser.error(f"--ways: {error}")
        compare_paths(args.crawled, args.rounds, ways)
        return
    if args.pages is None:
        parser.error("one of --pages and --crawled is required")

    site_pages = load_pages(args.pages)
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        with FixtureServer() as server:
            server.routes.update(build_shared_site(server.base_url, site_pages))
            sources = source_toml(server.base_url, site_pages)
            live = crawl(
                workdir / "live", sources, {"CONCURRENT_REQUESTS_PER_DOMAIN": "16"}, timeout=3600
            )
        if live.returncode:
            raise SystemExit(f"crawl failed:\n{live.log[-3000:]}")
        responses = sum(1 for _ in iter_pages(archive_files(live.archive)))
        articles = archived_articles(live.archive)

        settings = {
            "SOURCES_FILE": str(workdir / "live" / "sources.toml"),
            "DATA_DIR": str(live.data_dir),
        }
        replay_seconds = replay(workdir, settings, live.data_dir / "corpus-replay")
        one_process_seconds = replay(
            workdir, {**settings, "EXTRACTION_PROCESSES": "1"}, live.data_dir / "corpus-replay-1"
        )

        started = time.perf_counter()
        offline = crawl(
            workdir / "offline", sources, {"REPLAY_ARCHIVE": str(live.archive)}, timeout=3600
        )
        offline_seconds = time.perf_counter() - started

        started = time.perf_counter()
        extracted = sum(1 for url, html in articles if extract_article(html, url) is not None)
        extraction_seconds = time.perf_counter() - started

        rebuilt = live.data_dir / "corpus-replay"
        same_files = corpus_bytes(rebuilt) == corpus_bytes(live.corpus)
        print(
            f"archive: {responses} responses, {len(articles)} article pages; live corpus: {len(live.manifest())} articles"
        )
        print(timed("scrapy replay (all cores, wall clock)", len(articles), replay_seconds))
        print(timed("scrapy replay (one extraction process)", len(articles), one_process_seconds))
        print(timed("crawl from the archive (wall clock)", len(articles), offline_seconds))
        print(
            timed("extraction alone (one process)", len(articles), extraction_seconds),
            f"({extracted} with text)",
        )
        print(f"replay / extraction alone: {extraction_seconds / replay_seconds:.2f}")
        print(
            f"identity: corpus-replay/ against corpus/ (texts and index.jsonl): "
            f"{'byte for byte identical' if same_files else 'DIFFERENT'}"
        )
        print(f"crawl from the archive: {offline.returncode=}, {len(offline.manifest())} articles")


if __name__ == "__main__":
    main()
