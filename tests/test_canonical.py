"""A canonical link names the article a page is a copy of, unless its text says otherwise."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sitefixture import FixtureServer, Resource
from sitefixture.news import news_article
from sitefixture.pages import article_html, listing_html
from tests.conftest import crawl

ARTICLES = [
    news_article(f"round-{day}", datetime(2026, 11, day, 10), f"Talks round {day} on energy")
    for day in (10, 11, 12)
]
COPY = "/amp/news/2026/11/10/talks-round-10-on-energy"  # the first article, named canonical


def canonical_site(server: FixtureServer) -> str:
    """All articles but the first name the homepage as their canonical URL (a CMS
    misconfiguration); an AMP copy of the first names the first. The sources.toml of the site."""
    base = server.base_url
    server.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    listed = [(article.path, article.title) for article in ARTICLES] + [(COPY, "AMP")]
    server.routes["/"] = Resource(listing_html("Home", listed).encode())
    server.routes[ARTICLES[0].path] = Resource(article_html(ARTICLES[0], base, []).encode())
    server.routes[COPY] = Resource(article_html(ARTICLES[0], base, []).encode())
    for article in ARTICLES[1:]:
        page = article_html(article, base, []).replace(
            f'rel="canonical" href="{base}{article.path}"', f'rel="canonical" href="{base}/"'
        )
        server.routes[article.path] = Resource(page.encode())
    return f'[[source]]\nname = "canonical"\nurl = "{base}/"\nrecrawl_after_days = 0\n'


def test_a_canonical_link_to_another_text_does_not_make_a_duplicate(tmp_path: Path) -> None:
    """Every article naming the homepage as canonical was settled as a duplicate of the first
    one stored; on a recrawl, each overwrote that first article with its own text."""
    with FixtureServer() as server:
        sources = canonical_site(server)
        first = crawl(tmp_path, sources)
        assert first.returncode == 0, first.log
        second = crawl(tmp_path, sources)
        assert second.returncode == 0, second.log
    entries = {entry["id"]: entry for entry in first.manifest()}  # each id's last line
    texts = {
        entry["url"].removeprefix(server.base_url): (first.corpus / entry["file"]).read_text()
        for entry in entries.values()
    }
    assert sorted(texts) == sorted(article.path for article in ARTICLES)
    for article in ARTICLES:
        assert texts[article.path] == "\n".join([article.title, *article.paragraphs]) + "\n"
    assert "written 3, updated 0, filtered duplicate:1, errors 0" in first.log
    assert first.log.count(f" names {server.base_url}/ as its canonical URL, corpus article") == 1
    # The AMP copy names the first article and has its text: a duplicate of it.
    [kept] = [e for e in entries.values() if e["url"] == server.url(ARTICLES[0].path)]
    assert kept["duplicates"] == [server.url(COPY)]
    assert "written 0, updated 0" in second.log
    assert all(entry["version"] == 1 for entry in second.manifest())
