"""Replay speed: the corpus rebuilt from the archive, against extraction alone on the same pages.

    python -m benchmarks.replay --pages ../shared/pages

Crawls the pages folder served as a fixture site, stops the server, then in the
same run: ``scrapy replay`` (every core), a crawl from the archive
(``REPLAY_ARCHIVE``), and our extraction alone, in this process, over the
article pages read back from the archive. Prints pages/s of each, and whether
the replayed corpus is the live one byte for byte.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
import zlib
from pathlib import Path

from archive.pages import iter_pages
from archive.reader import archive_files
from benchmarks.sharedsite import build_shared_site, load_pages, source_toml
from corpus.extract import extract_article
from sitefixture import FixtureServer
from sitefixture.scrapyrun import crawl, run_scrapy


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=Path, required=True, help="folder with pages.jsonl and *.html.gz"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the data here (default: a temporary folder)"
    )
    args = parser.parse_args()

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
