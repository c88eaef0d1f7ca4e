"""A real ``redis-server`` for the shared-crawl tests, or a skip (a failure in CI) saying why not."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sitefixture.redis import redis_server as start_redis_server
from sitefixture.redis import redis_server_program
from sitefixture.server import FixtureServer
from tests.conftest import missing


def require_redis() -> None:
    """Skip (fail in CI) without redis-server; fail without scrapy-redis."""
    if redis_server_program() is None:
        missing(
            "redis-server is not installed (apt-get install redis-server; make test and .ci/run install it)"
        )
    if importlib.util.find_spec("scrapy_redis") is None:
        pytest.fail("scrapy-redis is not installed: pip install -e '.[test]'")


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Run redis-server on 127.0.0.1 without persistence; yield its URL."""
    require_redis()
    with start_redis_server(workdir) as url:
        yield url


def gone_worker_id() -> str:
    """The id a worker of this host would have had under a PID that is gone."""
    from scraper.shared.workers import this_worker

    pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return f"{this_worker().rpartition('-')[0]}-{pid}"


@contextmanager
def answers_held_until_all_joined(
    server: FixtureServer,
) -> Iterator[list[tuple[subprocess.Popen[str], Path]]]:
    """Hold every answer of ``server`` until each worker (process, log) added to the list
    yielded has joined the shared crawl: however unevenly they start, each takes part."""
    workers: list[tuple[subprocess.Popen[str], Path]] = []
    server.opened.clear()
    try:
        yield workers
        deadline = time.monotonic() + 120
        while not all("joined the shared crawl" in log.read_text() for _, log in workers):
            for process, log in workers:
                assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the workers did not all join within 120 s"
            time.sleep(0.05)
    finally:
        server.opened.set()
