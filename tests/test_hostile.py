"""Hostile and broken servers: each fault ends in a log line and a stat, nothing archived is lost."""

from __future__ import annotations

import resource
import zlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from sitefixture import FixtureServer, Resource, pages
from tests.conftest import crawl

ARTICLE = "/news/2026/11/20/a-story"
MiB = 1 << 20
STORY = (
    "<html><head><title>A story</title></head><body><article><h1>A story</h1>"
    + "".join(f"<p>Caracas and Moscow talked again on day {n}, and both sides said the talks went well.</p>" for n in range(20))
    + "</article></body></html>"
).encode()


def one_article_site(server: FixtureServer, article: Resource) -> str:
    """A homepage linking one article served as ``article``; the sources.toml of the site."""
    server.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    server.routes["/"] = Resource(pages.listing_html("Home", [(ARTICLE, "A story")]).encode())
    server.routes[ARTICLE] = article
    return f'[[source]]\nname = "hostile"\nurl = "{server.base_url}/"\n'


def archived_bodies(warc_files: list[Path], url: str) -> list[bytes]:
    bodies = []
    for warc in warc_files:
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response" and record.rec_headers["WARC-Target-URI"] == url:
                    bodies.append(record.raw_stream.read())
    return bodies


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 1 MiB of gzip that inflates to 1 GiB of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MiB)
    return b"".join(compressor.compress(zeros) for _ in range(1024)) + compressor.flush()


def test_a_gzip_bomb_is_archived_as_sent_and_never_inflated_past_the_size_cap(gzip_bomb: bytes, tmp_path: Path) -> None:
    with FixtureServer() as server:
        bomb = Resource(gzip_bomb, headers=[("Content-Encoding", "gzip")])
        result = crawl(tmp_path, one_article_site(server, bomb), {"DOWNLOAD_MAXSIZE": str(20 * MiB)})
    assert result.returncode == 0, result.log
    assert f"{ARTICLE}> because its body" in result.log and "exceeded DOWNLOAD_MAXSIZE" in result.log
    assert archived_bodies(result.warc_files(), server.url(ARTICLE)) == [gzip_bomb]
    assert result.manifest() == []
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mib < 500, f"a crawler process reached {peak_mib:.0f} MiB"


def test_a_429_with_retry_after_pauses_that_host_only_then_succeeds(tmp_path: Path) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as other:
        busy = Resource(b"busy", status=429, headers=[("Retry-After", "2")], content_type="text/plain")
        story = Resource(STORY, faults=[busy])
        sources = one_article_site(server, story)
        other_sources = one_article_site(other, Resource(pages.listing_html("Other", []).encode()))
        other.delay = 0.7  # its requests spread over the pause of the first host
        result = crawl(tmp_path, sources + other_sources.replace('"hostile"', '"other"'))
        refused, retried = [request.at for request in server.requests if request.path == ARTICLE]
        others = [request.at for request in other.requests]
    assert result.returncode == 0, result.log
    assert retried - refused >= 2.0  # the host was asked nothing during the pause...
    assert any(refused < at < retried for at in others)  # ...while the other host went on
    assert f"{server.url(ARTICLE)} answered 429: pausing 127.0.0.1 for 2.0 s (Retry-After)" in result.log
    assert "'retry_after/paused': 1" in result.log
    assert len(archived_bodies(result.warc_files(), server.url(ARTICLE))) == 2  # the 429 is archived too
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def test_a_retry_after_past_the_limit_is_not_waited_for(tmp_path: Path) -> None:
    with FixtureServer() as server:
        busy = Resource(b"busy", status=503, headers=[("Retry-After", "86400")], content_type="text/plain")
        story = Resource(b"<html><body><p>never reached</p></body></html>", faults=[busy])
        result = crawl(tmp_path, one_article_site(server, story), {"RETRY_AFTER_MAX": "60"})
        asked = [request.path for request in server.requests].count(ARTICLE)
    assert result.returncode == 0, result.log
    assert asked == 1
    assert "asking to wait 86400 s (Retry-After), more than RETRY_AFTER_MAX (60 s): not retried" in result.log
    assert "'retry_after/too_long': 1" in result.log


def test_server_errors_are_retried_until_the_page_comes(tmp_path: Path) -> None:
    with FixtureServer() as server:
        failing = [Resource(b"oops", status=500, content_type="text/plain"), Resource(b"down", status=503, content_type="text/plain")]
        story = Resource(STORY, faults=failing)
        result = crawl(tmp_path, one_article_site(server, story))
        asked = [request.path for request in server.requests].count(ARTICLE)
    assert result.returncode == 0, result.log
    assert asked == 3
    assert "'retry/count': 2" in result.log
    assert len(archived_bodies(result.warc_files(), server.url(ARTICLE))) == 3  # every answer is kept
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def truncated_records(warc_files: list[Path], url: str) -> list[str | None]:
    found = []
    for warc in warc_files:
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response" and record.rec_headers["WARC-Target-URI"] == url:
                    found.append(record.rec_headers.get_header("WARC-Truncated"))
    return found


def test_a_connection_reset_mid_body_is_archived_cut_and_retried(tmp_path: Path) -> None:
    with FixtureServer() as server:
        story = Resource(STORY, faults=[Resource(STORY, cut_at=300)])
        result = crawl(tmp_path, one_article_site(server, story))
    assert result.returncode == 0, result.log
    assert truncated_records(result.warc_files(), server.url(ARTICLE)) == ["disconnect", None]
    assert "'retry/reason_count/dataloss': 1" in result.log
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def test_a_page_that_always_breaks_off_is_kept_cut_and_never_extracted(tmp_path: Path) -> None:
    with FixtureServer() as server:
        result = crawl(tmp_path, one_article_site(server, Resource(STORY, cut_at=300)))
    assert result.returncode == 0, result.log
    assert truncated_records(result.warc_files(), server.url(ARTICLE)) == ["disconnect"] * 3  # RETRY_TIMES = 2
    assert "Gave up retrying" in result.log and "dataloss" in result.log
    assert result.manifest() == [] and "filtered truncated:1" in result.log
