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
2,580 article pages) and compares, interleaved over ``--rounds``: ``scrapy
replay`` walking the CDXJ indexes (payloads read by the extraction workers),
``scrapy replay`` of a copy of the archive without indexes (payloads read by
the crawl process, as before), and our extraction limit (``extract_article``
from disk, one process per core).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import tempfile
import time
import zlib
from pathlib import Path

from archive.pages import iter_pages
from archive.reader import archive_files
from benchmarks.peers import own_limit
from benchmarks.proctree import measure
from benchmarks.sharedsite import build_shared_site, load_pages, source_toml
from corpus.extract import extract_article
from sitefixture import FixtureServer
from sitefixture.scrapyrun import crawl, run_scrapy, scrapy_command


def corpus_bytes(directory: Path) -> dict[str, bytes]:
    """Every file of a corpus, manifest included, by name."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


def archived_articles(archive: Path) -> list[tuple[str, bytes]]:
    """URL and decoded HTML of every archived 200 answer to an article request."""
    pages = []
    for page in iter_pages(archive_files(archive)):
        if page.status != 200 or page.context.kind not in ("article", None):
            continue
        body = page.payload
        encoding = (page.header("Content-Encoding") or "").lower()
        if encoding in ("gzip", "x-gzip"):
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if b"<html" in body[:2000].lower():
            pages.append((page.url, body))
    return pages


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


def compare_paths(crawled: Path, rounds: int) -> None:
    """Replay by the indexes against replay reading whole, and our limit, interleaved."""
    archive = crawled / "data" / "archive"
    articles = archived_articles(archive)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        unindexed = work / "archive-unindexed"
        unindexed.mkdir()
        for warc in archive_files(archive):
            shutil.copyfile(warc, unindexed / warc.name)
        files = write_articles(articles, work / "files")
        print(f"{len(articles)} article pages in {len(archive_files(archive))} WARC files")
        for number in range(rounds):
            for label, folder in (("by the index", archive), ("read whole", unindexed)):
                corpus = work / f"corpus-{number}-{label.replace(' ', '-')}"
                command, env = scrapy_command(
                    ["replay", "--archive", str(folder), "--corpus", str(corpus)],
                    {"SOURCES_FILE": str(crawled / "sources.toml"), "DATA_DIR": str(work)},
                )
                done = measure(command, crawled, env)
                if done.returncode:
                    raise SystemExit(f"replay failed:\n{done.output[-3000:]}")
                print(timed(f"scrapy replay, {label}", len(articles), done.seconds))
                main, others = (1000 * seconds / len(articles) for seconds in done.crawl_threads)
                print(
                    f"  CPU per article page: {done.cpu_per(len(articles))}; of the replay "
                    f"process: main thread {main:.2f} ms, other threads {others:.2f} ms"
                )
            limit = own_limit(files)
            print(
                f"our extraction limit (extract_article from disk, every core): {limit:6.1f} pages/s"
            )
        corpora = sorted(path for path in work.iterdir() if path.name.startswith("corpus-"))
        same = all(corpus_bytes(path) == corpus_bytes(corpora[0]) for path in corpora)
        print(f"identity: all {len(corpora)} replayed corpora {'identical' if same else 'DIFFER'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, help="folder with pages.jsonl and *.html.gz")
    parser.add_argument("--crawled", type=Path, help="a crawl left by benchmarks.crawl --workdir")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of --crawled (default 2)")
    parser.add_argument(
        "--workdir", type=Path, help="keep the data here (default: a temporary folder)"
    )
    args = parser.parse_args()
    if args.crawled:
        compare_paths(args.crawled, args.rounds)
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
