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


def one_article_site(server: FixtureServer, article: Resource) -> str:
    """A homepage linking one article served as ``article``; the sources.toml of the site."""
    server.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    server.routes["/"] = Resource(pages.listing_html("Home", [(ARTICLE, "A story")]).encode())
    server.routes[ARTICLE] = article
    return f'[[source]]\nname = "hostile"\nurl = "{server.base_url}/"\n'


def archived_bodies(warc_files: list[Path], path: str) -> list[bytes]:
    bodies = []
    for warc in warc_files:
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response" and record.rec_headers["WARC-Target-URI"].endswith(path):
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
    assert archived_bodies(result.warc_files(), ARTICLE) == [gzip_bomb]
    assert result.manifest() == []
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mib < 500, f"a crawler process reached {peak_mib:.0f} MiB"
