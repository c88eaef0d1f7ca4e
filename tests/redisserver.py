"""A real ``redis-server`` on a free loopback port, for the shared-crawl tests."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sitefixture.server import free_port
from tests.conftest import missing


def require_redis_server() -> str:
    """The ``redis-server`` program; outside CI a missing one skips the test, in CI it fails it."""
    program = shutil.which("redis-server")
    if program is None:
        missing("redis-server is not installed (apt-get install redis-server; make test and .ci/run install it)")
    assert program is not None
    if importlib.util.find_spec("scrapy_redis") is None:
        pytest.fail("scrapy-redis is not installed: pip install -e '.[test]'")
    return program


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Run redis-server on 127.0.0.1 without persistence; yield its URL."""
    program = require_redis_server()
    port = free_port()
    server = subprocess.Popen(
        [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)
