"""pywb, a third-party replay tool, serves what we archived byte for byte."""

from __future__ import annotations

import gzip
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CrawlResult, ServedSite

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@pytest.fixture(scope="module")
def wayback(crawled: tuple[ServedSite, CrawlResult], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _, result = crawled
    root = tmp_path_factory.mktemp("pywb")
    subprocess.run([str(BIN / "wb-manager"), "init", "news"], cwd=root, check=True, capture_output=True)
    subprocess.run([str(BIN / "wb-manager"), "add", "news", *map(str, result.warc_files())], cwd=root, check=True, capture_output=True)
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
        shutil.rmtree(root, ignore_errors=True)


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_pywb_replays_articles_byte_for_byte(crawled: tuple[ServedSite, CrawlResult], wayback: str) -> None:
    served, _ = crawled
    for key in ("a1", "a2", "a3"):  # plain, gzip-encoded, chunked
        path = served.site.articles[key].path
        status, headers, body = fetch(f"{wayback}/news/id_/{served.url(path)}")
        assert status == 200
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert body == served.server.routes[path].body


def test_pywb_replays_the_redirect(crawled: tuple[ServedSite, CrawlResult], wayback: str) -> None:
    served, _ = crawled
    old = next(path for path, r in served.server.routes.items() if r.status == 301)
    status, headers, _ = fetch(f"{wayback}/news/id_/{served.url(old)}")
    assert status == 301
    assert headers["Location"].endswith(served.site.articles["a11"].path)
