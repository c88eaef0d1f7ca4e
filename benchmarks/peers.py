"""What we measure ourselves against on the same site: the extraction limits, trafilatura's CLI, wget."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

from benchmarks.proctree import Measured, measure

BIN = Path(sys.executable).parent
TRAFILATURA_CONFIG = """[DEFAULT]
DOWNLOAD_TIMEOUT = 30
MAX_FILE_SIZE = 20000000
MIN_FILE_SIZE = 10
SLEEP_TIME = 0
USER_AGENTS =
COOKIE =
MAX_REDIRECTS = 2
SSRF_PROTECTION = off
INSECURE_SSL_FALLBACK = off
MIN_EXTRACTED_SIZE = 250
MIN_EXTRACTED_COMM_SIZE = 1
MIN_OUTPUT_SIZE = 1
MIN_OUTPUT_COMM_SIZE = 1
EXTRACTION_TIMEOUT = 0
MIN_DUPLCHECK_SIZE = 100
MAX_REPETITIONS = 2
EXTENSIVE_DATE_SEARCH = on
EXTERNAL_URLS = off
MAX_TREE_SIZE =
"""


@dataclass(frozen=True)
class Limit:
    """An extraction limit: pages/s over every core, and the CPU milliseconds each page took in
    the extraction function itself (a pool's hand-over and idle cores left out)."""

    pages_per_second: float
    cpu_ms_per_page: float

    def busy(self, cores: int) -> float:
        """The share of the cores' time the pages' extraction took."""
        return self.pages_per_second * self.cpu_ms_per_page / 1000 / cores

    @staticmethod
    def mean(first: Limit, second: Limit) -> Limit:
        return Limit(
            (first.pages_per_second + second.pages_per_second) / 2,
            (first.cpu_ms_per_page + second.cpu_ms_per_page) / 2,
        )


# trafilatura and our extraction are imported where they run, in the pool's processes: a
# Scrapy process that hands pages to them (benchmarks.barescrapy) does not load them itself.


def _warm(_: int) -> None:
    import trafilatura

    trafilatura.extract("<html><body><p>warm</p></body></html>")


def _plain_from_disk(file: tuple[str, str]) -> float:
    """Extract one page with plain trafilatura; the CPU seconds it took."""
    import trafilatura

    started = time.process_time()
    path, url = file
    trafilatura.extract(Path(path).read_bytes(), url=url)
    return time.process_time() - started


def ours(body: bytes, url: str) -> bool:
    """Extract one page as our limit does, with the fingerprint the crawl's workers compute
    (:func:`corpus.worker.extract_for_corpus`); whether it made an article."""
    from corpus.extract import DEFAULT_OPTIONS, extract_article

    article = extract_article(body, url, None, DEFAULT_OPTIONS)
    if article is not None:
        article.fingerprint()
    return article is not None


def _ours_from_disk(file: tuple[str, str]) -> float:
    """Extract one page as the crawl's workers do; the CPU seconds it took."""
    started = time.process_time()
    path, url = file
    ours(Path(path).read_bytes(), url)
    return time.process_time() - started


def warm_ours() -> None:
    """Load our extraction (and its language model) in a pool process before it is timed."""
    ours(b"<html><body><p>warm</p></body></html>", "http://127.0.0.1/")


def warm_both(_: int) -> None:
    """Load plain trafilatura and our extraction in a pool process before it is timed."""
    _warm(0)
    warm_ours()


def timed_limit(pool: Pool, function: Callable[[Any], float], jobs: list[Any]) -> Limit:
    """The pages/s of ``function`` mapped over ``jobs`` by ``pool``, and the CPU it reports."""
    started = time.perf_counter()
    spent = sum(pool.map(function, jobs, chunksize=8))
    return Limit(len(jobs) / (time.perf_counter() - started), 1000 * spent / len(jobs))


def disk_limits(files: list[tuple[Path, str]], processes: int | None = None) -> tuple[Limit, Limit]:
    """The limits of plain ``trafilatura.extract(html, url=url)`` and of our ``extract_article``
    (with the fingerprint the crawl's workers compute), each reading ``(file, url)`` pairs
    from disk in one process per core, in one pool started and warmed before."""
    workers = processes or os.cpu_count() or 1
    jobs = [(str(path), url) for path, url in files]
    with get_context("spawn").Pool(workers) as pool:
        pool.map(warm_both, range(workers))
        return timed_limit(pool, _plain_from_disk, jobs), timed_limit(pool, _ours_from_disk, jobs)


def own_limit(files: list[tuple[Path, str]], processes: int | None = None) -> Limit:
    """The limit of our ``extract_article`` alone, as :func:`disk_limits` measures it."""
    workers = processes or os.cpu_count() or 1
    jobs = [(str(path), url) for path, url in files]
    with get_context("spawn").Pool(workers) as pool:
        pool.map(warm_both, range(workers))
        return timed_limit(pool, _ours_from_disk, jobs)


def trafilatura_cli(urls: list[str], workdir: Path, parallel: int) -> Measured:
    """``trafilatura -i urls --parallel N`` with its sleep and SSRF protection off."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "urls.txt").write_text("\n".join(urls) + "\n")
    (workdir / "settings.cfg").write_text(TRAFILATURA_CONFIG)
    command = [
        str(BIN / "trafilatura"),
        "-i",
        "urls.txt",
        "--parallel",
        str(parallel),
        "--config-file",
        "settings.cfg",
        "-o",
        "out",
    ]
    return measure(command, workdir)


def wget_archive(base_url: str, workdir: Path) -> Measured:
    """``wget --recursive --warc-file`` over the whole site: fetching and archiving, no extraction."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [
        "wget",
        "--quiet",
        "--recursive",
        "--level=inf",
        "--no-parent",
        "--delete-after",
        "--no-host-directories",
        "--directory-prefix=files",
        "--warc-file=site",
        "--no-warc-keep-log",
        base_url + "/",
    ]
    return measure(command, workdir)
