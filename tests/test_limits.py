"""Discovery limits: a sitemap maze or a huge sitemap ends with what it yielded, counted and warned of."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.settings import Settings

from scraper.limits import DiscoveryLimits
from scraper.sources import parse_sources
from scraper.spiders.news import NewsSpider
from sitefixture import FixtureServer, Resource, pages
from sitefixture.inprocess import end_crawl, response, summarized_crawler
from tests.conftest import ServedSite, crawl

XML = "application/xml"


def urlset(urls: list[str]) -> str:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


def site(server: FixtureServer, robots_sitemap: str) -> None:
    server.routes["/robots.txt"] = Resource(
        f"User-agent: *\nAllow: /\nSitemap: {server.url(robots_sitemap)}\n".encode(),
        content_type="text/plain",
    )
    server.routes["/"] = Resource(pages.listing_html("Home", []).encode())


def test_a_sitemap_index_that_never_ends_stops_at_max_sitemap_depth(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base = "https://maze.example"
    sources = f'[[source]]\nname = "maze"\nurl = "{base}/"\nmax_sitemap_depth = 3\n'
    crawler = summarized_crawler(NewsSpider, sources, tmp_path)
    spider = NewsSpider.from_crawler(crawler)
    crawler.spider = spider
    robots = f"User-agent: *\nAllow: /\nSitemap: {base}/maze/0.xml\n"
    requests = list(
        spider.parse_robots(response(f"{base}/robots.txt", robots, "text", source="maze"))
    )
    asked: list[str] = []

    async def follow() -> None:
        # Each index points one level deeper, as a hostile site would forever.
        while requests and len(asked) < 60:
            request = requests.pop(0)
            asked.append(urlsplit(request.url).path)
            level = int(asked[-1].removeprefix("/maze/").removesuffix(".xml"))
            index = pages.sitemap_index([f"{base}/maze/{level + 1}.xml"])
            async for more in spider.parse_sitemap(
                response(request.url, index, "xml", **request.meta)
            ):
                requests.append(more)

    with caplog.at_level(logging.INFO):
        asyncio.run(follow())
        end_crawl(crawler, spider)
    assert asked == ["/maze/0.xml", "/maze/1.xml", "/maze/2.xml", "/maze/3.xml"]
    log = caplog.text
    assert (
        f"Source maze: sitemap {base}/maze/4.xml is 4 indexes deep, past max_sitemap_depth (3)"
        in log
    )
    assert "cut by limits sitemap_depth:1" in log
    assert "Source maze: discovery limits left out 1 sitemap(s) too deep (max_sitemap_depth)" in log


def test_too_many_sitemaps_and_urls_are_cut_and_counted_and_the_first_articles_still_come(
    tmp_path: Path,
) -> None:
    with FixtureServer() as server:
        site(server, "/index.xml")
        children = [server.url(f"/sitemap-{n}.xml") for n in range(30)]
        server.routes["/index.xml"] = Resource(
            pages.sitemap_index(children).encode(), content_type=XML
        )
        for n in range(30):
            urls = [server.url(f"/news/2026/11/20/story-{n}-{k}") for k in range(100)]
            server.routes[f"/sitemap-{n}.xml"] = Resource(urlset(urls).encode(), content_type=XML)
        sources = (
            f'[[source]]\nname = "big"\nurl = "{server.base_url}/"\nmax_sitemaps = 3\n'
            "max_sitemap_urls = 40\nmax_articles = 50\n"
        )
        result = crawl(tmp_path, sources, {"ROBOTSTXT_OBEY": "True"})
        asked = server.paths()
    sitemaps = [path for path in asked if path.startswith("/sitemap-")]
    articles = [path for path in asked if path.startswith("/news/")]
    assert len(sitemaps) == 2  # the index is the first of the 3
    assert len(articles) == 50
    assert all(
        int(path.rsplit("-", 1)[1]) < 40 for path in articles
    )  # nothing past the 40th entry is read
    summary = result.log.split("Summary per source:")[1]
    assert "cut by limits articles:30 sitemap_urls:2 sitemaps:28" in summary
    assert (
        "max_articles" in result.log
        and "max_sitemap_urls" in result.log
        and "max_sitemaps" in result.log
    )


def test_limits_default_to_the_settings_and_a_source_overrides_them() -> None:
    settings = Settings(
        {
            "SITEMAP_MAX_DEPTH": 3,
            "SITEMAP_MAX_COUNT": 200,
            "SITEMAP_MAX_URLS": 50_000,
            "ARTICLES_MAX_PER_RUN": 2000,
        }
    )
    (source,) = parse_sources(
        '[[source]]\nname = "a"\nurl = "https://a.example/"\nmax_articles = 0\n'
    )
    assert DiscoveryLimits.of(source, settings) == DiscoveryLimits(3, 200, 50_000, 0)


def test_a_max_articles_above_what_the_site_has_changes_nothing(
    news_site: ServedSite, tmp_path: Path
) -> None:
    """The article limit is not the URL length limit: every link of usual length is still read."""
    text = news_site.site.source_toml(news_site.server.base_url, max_articles="50")
    result = crawl(tmp_path, text)
    assert result.returncode == 0, result.log
    assert "skipped_long_url" not in result.log
    assert "fixture: discovered 11 " in result.log and "written 8," in result.log
