"""Run ``scrapy serve`` (pywb) over an archive on 127.0.0.1, and fetch from it."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scraper.commands.serve import wayback_command
from sitefixture.scrapyrun import scrapy_command
from sitefixture.server import free_port
from tests.conftest import missing

STARTUP_SECONDS = 90  # pywb loads slowly on a busy machine


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@contextmanager
def wayback(archive: Path, workdir: Path) -> Iterator[str]:
    """Serve ``archive`` with ``scrapy serve`` (pywb) from ``workdir``; yield the server's URL."""
    program = os.environ.get("PYWB_WAYBACK", "")
    if wayback_command(program) is None:
        missing(
            f"pywb is not installed (PYWB_WAYBACK={program!r}); make test installs it in .venv-pywb"
        )
    port = free_port()
    settings = {"DATA_DIR": str(workdir / "data"), "PYWB_WAYBACK": program}
    command, env = scrapy_command(
        ["serve", "--port", str(port), "--archive", str(archive)], settings
    )
    server = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while server.poll() is None:
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                server.kill()
                break
            time.sleep(0.2)
    if server.poll() is not None:
        output = server.stdout.read().decode() if server.stdout else ""
        raise RuntimeError(
            f"scrapy serve exited or did not answer within {STARTUP_SECONDS} s: {output}"
        )
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
