"""Run pywb's ``wayback`` over WARC files on 127.0.0.1, and fetch from it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@contextmanager
def wayback(warc_files: list[Path], root: Path) -> Iterator[str]:
    """Index ``warc_files`` into a collection ``news`` under ``root`` and serve it; yield its URL."""
    subprocess.run([str(BIN / "wb-manager"), "init", "news"], cwd=root, check=True, capture_output=True)
    subprocess.run([str(BIN / "wb-manager"), "add", "news", *map(str, warc_files)], cwd=root, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([str(BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(10)


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``url`` without following redirects; return status, headers and body."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
