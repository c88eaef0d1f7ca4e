"""What we measure ourselves against on the same site: plain trafilatura (the limit), its CLI, wget."""

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


def _extract(html: bytes) -> bool:
    return trafilatura.extract(html) is not None


def _warm(_: int) -> None:
    trafilatura.extract("<html><body><p>warm</p></body></html>")


def extraction_limit(htmls: list[bytes], processes: int | None = None) -> float:
    """Pages/s of plain ``trafilatura.extract`` over ``htmls`` in one process per core (pool started before)."""
    workers = processes or os.cpu_count() or 1
    with get_context("spawn").Pool(workers) as pool:
        pool.map(_warm, range(workers))
        started = time.perf_counter()
        pool.map(_extract, htmls, chunksize=8)
        return len(htmls) / (time.perf_counter() - started)


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
