"""Several workers share one crawl through Redis: requests per worker, duplicates, a kill.

    python -m benchmarks.shared --pages ../shared/pages [--copies 2] [--workers 2]

Serves the pages (times ``--copies``) as one site (nginx when installed), starts a
throwaway redis-server on 127.0.0.1 and prints, from the same run:
- one worker alone: seconds and pages/s;
- N workers on one DATA_DIR: seconds, pages/s, requests and articles of each worker,
  article pages fetched more than once (expected 0), corpus numbers unique or not;
- N workers with one killed (SIGKILL) a third of the way through: the requests the
  others put back, articles missing after the crawl and after a rerun, refetches.
Each worker gets ``cores / N`` extraction processes, so the machine is shared alike.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.sharedsite import build_shared_site, load_pages, source_toml, with_copies
from benchmarks.webserver import ServedSite, serve
from corpus.store import read_manifest
from sitefixture.redis import redis_server
from sitefixture.scrapyrun import start_scrapy


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[str]
    log: Path

    def stat(self, name: str) -> int:
        found = re.search(rf"'{re.escape(name)}': (\d+)", self.log.read_text())
        return int(found.group(1)) if found else 0


def start(
    workdir: Path, name: str, data_dir: Path, sources: str, settings: dict[str, str]
) -> Worker:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sources.toml").write_text(sources)
    settings = {
        **settings,
        "SOURCES_FILE": str(workdir / "sources.toml"),
        "DATA_DIR": str(data_dir),
        "CONCURRENT_REQUESTS": "16",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "LOGSTATS_INTERVAL": "10",
    }
    log = workdir / f"{name}.log"
    process = start_scrapy(["crawl", "news"], workdir, settings, log)
    return Worker(name, process, log)


def wait(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.process.wait() not in (0, -signal.SIGKILL):
            raise SystemExit(f"worker {worker.name} failed:\n{worker.log.read_text()[-3000:]}")


def fetches(site: ServedSite, articles: set[str], since: int) -> Counter[str]:
    return Counter(path for path in site.paths()[since:] if path in articles)


def corpus_texts(data_dir: Path) -> dict[int, dict]:
    """The current manifest entry of every corpus article, by number."""
    return {entry["id"]: entry for entry in read_manifest(data_dir / "corpus")}


def corpus_report(data_dir: Path, expected: set[str]) -> str:
    """Articles in the corpus, whether a number ever named two articles, and how many of
    ``expected`` (SHA-1 of the texts one worker alone wrote) are there: with copies of each
    page served, which copy is kept and which is its near-duplicate may differ."""
    lines = list(read_manifest(data_dir / "corpus"))
    urls_by_number: dict[int, set[str]] = {}
    for entry in lines:
        urls_by_number.setdefault(entry["id"], set()).add(entry["canonical_url"])
    clashes = sum(1 for urls in urls_by_number.values() if len(urls) > 1)
    found = {entry["sha1"] for entry in corpus_texts(data_dir).values()} & expected
    return (
        f"{len(urls_by_number)} in corpus, {clashes} numbers given to two articles; "
        f"{len(found)} of the {len(expected)} texts one worker alone wrote"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=Path, required=True, help="folder with pages.jsonl and *.html.gz"
    )
    parser.add_argument(
        "--copies", type=int, default=2, help="serve every page this many times (default 2)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="workers of the shared crawl (default 2)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep everything here (default: a temporary folder)"
    )
    args = parser.parse_args()

    pages = with_copies(load_pages(args.pages), args.copies)
    articles = {page.path for page in pages}
    cores = os.cpu_count() or 1
    each = str(max(1, cores // args.workers))
    with tempfile.TemporaryDirectory() as scratch:
        root = args.workdir or Path(scratch)
        with (
            serve(lambda base: build_shared_site(base, pages), root / "site") as site,
            redis_server(root) as url,
        ):
            sources = source_toml(site.base_url, pages)
            print(
                f"{len(pages)} article pages from {site.server} at {site.base_url}; Redis at {url}"
            )

            began, mark = time.monotonic(), len(site.paths())
            alone = start(
                root / "alone",
                "alone",
                root / "alone" / "data",
                sources,
                {"EXTRACTION_PROCESSES": str(cores)},
            )
            wait([alone])
            seconds = time.monotonic() - began
            kept = {entry["sha1"] for entry in corpus_texts(root / "alone" / "data").values()}
            print(
                f"\none worker, no Redis, {cores} extraction processes: {seconds:.1f} s, {len(pages) / seconds:.1f} pages/s, "
                f"{alone.stat('downloader/request_count')} requests, {len(kept)} articles kept"
            )

            shared = {"REDIS_URL": url, "REDIS_IDLE_TIMEOUT": "5", "EXTRACTION_PROCESSES": each}
            began, mark = time.monotonic(), len(site.paths())
            data = root / "shared" / "data"
            workers = [
                start(
                    root / "shared",
                    f"w{n}",
                    data,
                    sources,
                    {**shared, "REDIS_KEY_PREFIX": "shared"},
                )
                for n in range(args.workers)
            ]
            wait(workers)
            seconds = time.monotonic() - began
            counted = fetches(site, articles, mark)
            print(
                f"\n{args.workers} workers, one DATA_DIR, {each} extraction processes each: {seconds:.1f} s "
                f"(idle wait {shared['REDIS_IDLE_TIMEOUT']} s included), {len(pages) / seconds:.1f} pages/s"
            )
            for worker in workers:
                print(
                    f"  {worker.name}: {worker.stat('downloader/request_count')} requests, "
                    f"{worker.stat('item_scraped_count')} articles written"
                )
            print(
                f"  article pages fetched more than once: {sum(1 for n in counted.values() if n > 1)}"
            )
            print(f"  {corpus_report(data, kept)}")

            mark = len(site.paths())
            data = root / "killed" / "data"
            workers = [
                start(
                    root / "killed",
                    f"k{n}",
                    data,
                    sources,
                    {**shared, "REDIS_KEY_PREFIX": "killed"},
                )
                for n in range(args.workers)
            ]
            while (
                len(fetches(site, articles, mark)) < len(pages) // 3
                and workers[0].process.poll() is None
            ):
                time.sleep(0.05)
            os.killpg(workers[0].process.pid, signal.SIGKILL)
            wait(workers)
            after_kill = corpus_report(data, kept)
            in_crawl, rerun_mark = fetches(site, articles, mark), len(site.paths())
            rerun = start(
                root / "killed", "rerun", data, sources, {**shared, "REDIS_KEY_PREFIX": "killed"}
            )
            wait([rerun])
            again = set(fetches(site, articles, rerun_mark)) & set(in_crawl)
            print(f"\n{args.workers} workers, k0 killed (SIGKILL) after a third of the articles:")
            print(
                f"  taken by k0 and put back by the others: {sum(w.stat('shared/requeued') for w in workers[1:])} requests"
            )
            print(f"  after the crawl: {after_kill}")
            print(
                f"  article pages fetched more than once during the crawl: {sum(1 for n in in_crawl.values() if n > 1)}"
            )
            print(f"  after a rerun:   {corpus_report(data, kept)}")
            print(
                f"  article pages the rerun fetched again (k0 had downloaded them, not yet written them): {len(again)}"
            )


if __name__ == "__main__":
    main()
