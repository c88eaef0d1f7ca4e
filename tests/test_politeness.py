"""Politeness knobs seen from the server: the User-Agent's contact URL and the size cap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from sitefixture import FixtureServer, Resource, pages
from tests.conftest import crawl

HUGE_PATH = "/news/2026/11/20/a-very-long-story"
CAP = 50_000


def small_site(server: FixtureServer) -> str:
    server.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    server.routes["/"] = Resource(
        pages.listing_html("Home", [(HUGE_PATH, "A very long story")]).encode()
    )
    huge = (
        "<html><body><article>"
        + "<p>Venezuela and Russia sign more papers.</p>" * 5000
        + "</article></body></html>"
    )
    server.routes[HUGE_PATH] = Resource(huge.encode())
    return f'[[source]]\nname = "small"\nurl = "{server.base_url}/"\n'


def test_contact_url_setting_goes_into_the_user_agent(tmp_path: Path) -> None:
    with FixtureServer() as server:
        result = crawl(
            tmp_path,
            small_site(server),
            settings={"CONTACT_URL": "https://example.org/crawler-contact"},
        )
        assert result.returncode == 0, result.log
        agents = {request.headers["User-Agent"] for request in server.requests}
    assert agents == {"news-archiver/0.1 (+https://example.org/crawler-contact)"}


def test_oversized_response_is_archived_truncated(tmp_path: Path) -> None:
    with FixtureServer() as server:
        result = crawl(tmp_path, small_site(server), settings={"DOWNLOAD_MAXSIZE": str(CAP)})
    assert result.returncode == 0, result.log
    assert f"Response of http://127.0.0.1:{server.port}{HUGE_PATH} cut at" in result.log
    [path] = result.warc_files()
    with path.open("rb") as stream:
        captured = [
            (record, record.raw_stream.read())
            for record in ArchiveIterator(stream)
            if record.rec_type == "response" and HUGE_PATH in record.rec_headers["WARC-Target-URI"]
        ]
    assert len(captured) == 1
    record, body = captured[0]
    assert record.rec_headers["WARC-Truncated"] == "length"
    assert CAP < len(body) < len(server.routes[HUGE_PATH].body)
    assert record.http_headers["Content-Length"] == str(len(body))
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert result.manifest() == []  # a cut page is not extracted into the corpus
    assert "filtered truncated:1" in result.log
