"""A feed or sitemap the configuration names is read wherever it is (feedburner, a CDN host)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sitefixture import FixtureServer, Resource
from sitefixture.news import news_article
from sitefixture.pages import article_html, listing_html, news_sitemap, rss
from sitefixture.scrapyrun import run_scrapy
from tests.conftest import crawl

ARTICLES = [
    news_article(
        f"elsewhere-{day}", datetime(2026, 11, day, 10), f"Caracas and Moscow talk again, day {day}"
    )
    for day in (20, 21, 22, 23)
]
TEXT = {"content_type": "text/plain"}


def sites(home: FixtureServer, cdn: FixtureServer) -> str:
    """Articles on ``home``, found only through a sitemap and a feed on ``cdn``; the sources.toml."""
    home.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", **TEXT)
    home.routes["/"] = Resource(listing_html("Home", []).encode())
    for article in ARTICLES:
        home.routes[article.path] = Resource(article_html(article, home.base_url, []).encode())
    cdn.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", **TEXT)
    listed = [(home.url(a.path), a.title, a.published) for a in ARTICLES]
    cdn.routes["/news-sitemap.xml"] = Resource(
        news_sitemap(listed[:2]).encode(), content_type="application/xml"
    )
    dated = [(url, title, "Fri, 20 Nov 2026 10:00:00 GMT") for url, title, _ in listed[2:]]
    cdn.routes["/feed.rss"] = Resource(
        rss(home.base_url, dated).encode(), content_type="application/rss+xml"
    )
    return (
        f'[[source]]\nname = "elsewhere"\nurl = "{home.base_url}/"\n'
        f'sitemaps = ["{cdn.url("/news-sitemap.xml")}"]\nfeeds = ["{cdn.url("/feed.rss")}"]\n'
    )


def test_a_configured_feed_and_sitemap_on_another_host_are_read(tmp_path: Path) -> None:
    """Both were dropped by OffsiteMiddleware, quietly: 'discovered 0', exit code 0."""
    with FixtureServer() as home, FixtureServer(host="127.0.0.2") as cdn:
        sources = sites(home, cdn)
        result = crawl(tmp_path, sources)
        (tmp_path / "sources.toml").write_text(sources)
        checked = run_scrapy(
            ["checksource", "elsewhere"],
            tmp_path,
            {"SOURCES_FILE": str(tmp_path / "sources.toml"), "DATA_DIR": str(tmp_path / "check")},
        )
    assert result.returncode == 0, result.log
    assert "elsewhere: discovered 4 (0 known)" in result.log and "written 4" in result.log
    assert sorted(entry["url"] for entry in result.manifest()) == sorted(
        home.url(a.path) for a in ARTICLES
    )
    assert checked.returncode == 0, checked.stderr
    assert f"sitemap  {cdn.url('/news-sitemap.xml')}" in checked.stdout, checked.stdout
    assert "elsewhere: 4 of 4 sampled pages would enter the corpus" in checked.stdout
