"""What we measure ourselves against on the same site: the extraction limits, trafilatura's CLI, wget."""

from __future__ import annotations

import os
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import trafilatura

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


def _warm(_: int) -> None:
    trafilatura.extract("<html><body><p>warm</p></body></html>")


def _plain_from_disk(file: tuple[str, str]) -> bool:
    path, url = file
    return trafilatura.extract(Path(path).read_bytes(), url=url) is not None


def _ours_from_disk(file: tuple[str, str]) -> bool:
    from corpus.extract import DEFAULT_OPTIONS, extract_article

    path, url = file
    article = extract_article(Path(path).read_bytes(), url, None, DEFAULT_OPTIONS)
    if article is not None:
        article.fingerprint()  # as the crawl's workers do (corpus.worker.extract_for_corpus)
    return article is not None


def _warm_both(_: int) -> None:
    _warm(0)
    from corpus.extract import DEFAULT_OPTIONS, extract_article

    extract_article(
        b"<html><body><p>warm</p></body></html>", "http://127.0.0.1/", None, DEFAULT_OPTIONS
    )


def disk_limits(files: list[tuple[Path, str]], processes: int | None = None) -> tuple[float, float]:
    """Pages/s of plain ``trafilatura.extract(html, url=url)`` and of our ``extract_article``
    (with the fingerprint the crawl's workers compute), each reading ``(file, url)`` pairs
    from disk in one process per core, in one pool started and warmed before."""
    workers = processes or os.cpu_count() or 1
    jobs = [(str(path), url) for path, url in files]
    rates = []
    with get_context("spawn").Pool(workers) as pool:
        pool.map(_warm_both, range(workers))
        for function in (_plain_from_disk, _ours_from_disk):
            started = time.perf_counter()
            pool.map(function, jobs, chunksize=8)
            rates.append(len(jobs) / (time.perf_counter() - started))
    return rates[0], rates[1]


def own_limit(files: list[tuple[Path, str]], processes: int | None = None) -> float:
    """Pages/s of our ``extract_article`` alone, as :func:`disk_limits` measures it."""
    workers = processes or os.cpu_count() or 1
    jobs = [(str(path), url) for path, url in files]
    with get_context("spawn").Pool(workers) as pool:
        pool.map(_warm_both, range(workers))
        started = time.perf_counter()
        pool.map(_ours_from_disk, jobs, chunksize=8)
        return len(jobs) / (time.perf_counter() - started)


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
