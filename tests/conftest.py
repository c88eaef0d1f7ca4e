"""Shared fixtures: fixture sites on 127.0.0.1 and crawls run as real ``scrapy`` processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus.urls import canonicalize
from sitefixture import FixtureServer, Resource, pages, scrapyrun
from sitefixture.news import NewsSite, build_news_site
from sitefixture.scrapyrun import CrawlResult

TEST_SETTINGS = {"EXTRACTION_PROCESSES": "2"}


def crawl(
    workdir: Path,
    sources_text: str,
    settings: dict[str, str] | None = None,
    args: list[str] | None = None,
) -> CrawlResult:
    """Crawl ``sources_text`` into ``workdir/data`` with the test settings."""
    return scrapyrun.crawl(workdir, sources_text, {**TEST_SETTINGS, **(settings or {})}, args)


def missing(reason: str) -> None:
    """A tool a test needs is not here: skip with ``reason``, but fail in CI, which installs it."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def warcio_check(paths: list[Path]) -> str:
    """What ``warcio check`` says of ``paths``; empty when it finds them valid."""
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    return (
        ""
        if check.returncode == 0
        else check.stdout + check.stderr or f"exit code {check.returncode}"
    )


@dataclass
class ServedSite:
    server: FixtureServer
    offsite: FixtureServer
    site: NewsSite

    def url(self, path: str) -> str:
        return self.server.url(path)

    def corpus_urls(self) -> set[str]:
        """The canonical URLs of the articles a crawl of the site keeps."""
        return {canonicalize(self.url(path)) for path in self.site.corpus_paths}

    def recrawled(self, workdir: Path) -> tuple[str, CrawlResult]:
        """Crawl twice into ``workdir/data``, between them updating article a1 and making a2
        answer 200 with the same payload (a revisit); the sources and the second crawl."""
        sources = self.site.source_toml(self.server.base_url, recrawl_after_days="0")
        first = crawl(workdir, sources)
        assert first.returncode == 0, first.log
        a1 = self.server.routes[self.site.articles["a1"].path]
        a1.body = a1.body.replace(
            b'<div class="article-body">\n<p>',
            b'<div class="article-body">\n<p>Update: talks resumed. ',
            1,
        )
        self.server.routes[self.site.articles["a2"].path].conditional = False
        second = crawl(workdir, sources)
        assert second.returncode == 0, second.log
        assert "'warc/revisits'" in second.log
        return sources, second


@pytest.fixture
def news_site() -> ServedSite:
    """The fixture news site on 127.0.0.1 and an off-site host on 127.0.0.2."""
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        yield ServedSite(server, offsite, site)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[ServedSite, CrawlResult]:
    """One crawl of the fixture news site, shared by the tests of a module."""
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        served = ServedSite(server, offsite, site)
        result = crawl(tmp_path_factory.mktemp("crawl"), site.source_toml(server.base_url))
        yield served, result


@dataclass
class SlowAndFast:
    """Two sites of ``HOST_ARTICLES`` articles each, listed in a sitemap: ``slow`` asks a
    ``Crawl-delay``; either may answer its sitemap ``LATE`` seconds late, once the other's
    articles are queued. The fast site's articles take ``FAST_ARTICLE_DELAY`` each, so that
    they are still being asked for when the slow site's are queued."""

    HOST_ARTICLES = 24
    CRAWL_DELAY = 0.4
    LATE = 1.5
    FAST_ARTICLE_DELAY = 0.25

    slow: FixtureServer
    fast: FixtureServer

    def sources(self) -> str:
        return "".join(
            f'[[source]]\nname = "{name}"\nurl = "{server.base_url}/"\nlanguage = "en"\n'
            "article_pattern = '/story-'\n"
            for name, server in (("slow", self.slow), ("fast", self.fast))
        )

    def fast_done_early(self) -> bool:
        """Whether every request to the fast site came before the slow site's first half was
        asked for: its articles did not wait, each in turn, behind the slow site's."""
        halfway = sorted(request.at for request in self.slow.requests)[self.HOST_ARTICLES // 2]
        return max(request.at for request in self.fast.requests) < halfway


def _sitemap_site(
    server: FixtureServer, robots: str, sitemap_delay: float, article_delay: float
) -> None:
    base = server.base_url
    server.routes["/robots.txt"] = Resource(
        f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n{robots}".encode(), "text/plain"
    )
    server.routes["/"] = Resource(b"<html><body><p>Home</p></body></html>")
    paths = [f"/story-{n}" for n in range(SlowAndFast.HOST_ARTICLES)]
    server.routes["/sitemap.xml"] = Resource(
        pages.news_sitemap((base + path, "Story", "") for path in paths).encode(),
        "application/xml",
        delay=sitemap_delay,
    )
    for path in paths:
        server.routes[path] = Resource(
            b"<html><body><p>A short story.</p></body></html>", delay=article_delay
        )


@contextmanager
def slow_and_fast(late: str | None = None) -> Iterator[SlowAndFast]:
    """The two sites, the ``late`` one ("slow" or "fast"), if any, answering its sitemap late."""
    with FixtureServer() as slow, FixtureServer(host="127.0.0.2") as fast:
        delay = SlowAndFast.CRAWL_DELAY
        _sitemap_site(slow, f"Crawl-delay: {delay}\n", SlowAndFast.LATE * (late == "slow"), 0.0)
        _sitemap_site(fast, "", SlowAndFast.LATE * (late == "fast"), SlowAndFast.FAST_ARTICLE_DELAY)
        yield SlowAndFast(slow, fast)
