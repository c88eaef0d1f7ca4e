"""Small news sites of different shapes, for adding a source without reading its HTML.

Each shape offers its articles one way only: a feed announced by a link tag, a
sitemap named in robots.txt, section pages in the menu, or a feed at a common
path that no page announces. Every site also links non-article pages from its
homepage (about, contact, tags) that a crawl must never take for articles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from sitefixture import pages
from sitefixture.pages import FixtureArticle
from sitefixture.server import Resource
from sitefixture.text import paragraphs

SHAPES = ("feed", "sitemap", "sections", "common-feed")
TITLES = [
    "Russia and Venezuela sign an energy accord",
    "Moscow sends engineers to Venezuelan oil fields",
    "Lavrov defends Caracas at the United Nations",
    "Russian banks open branches in Caracas",
    "Putin and Maduro speak by phone about oil",
    "Venezuelan lawmakers praise the Kremlin partnership",
]
NON_ARTICLES = ("/about", "/contact", "/tag/venezuela", "/tag/russia")


@dataclass
class ShapedSite:
    """The routes of one shaped site and what a crawl of it must find."""

    shape: str
    routes: dict[str, Resource]
    article_paths: list[str]
    non_article_paths: list[str]


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


PATHS: dict[str, Callable[[int, datetime, str], str]] = {
    "feed": lambda n, day, title: f"/{day:%Y/%m/%d}/{_slug(title)}.html",
    "sitemap": lambda n, day, title: f"/article/{480_000 + 17 * n}",
    "sections": lambda n, day, title: f"/{'world' if n % 2 else 'economy'}/{_slug(title)}",
    "common-feed": lambda n, day, title: f"/stories/{90_210 + n}/{_slug(title)}",
}


def _page(title: str, menu: list[str], items: list[tuple[str, str]], head: str = "") -> str:
    nav = "".join(
        f'<li><a href="{path}">{escape(path.strip("/").title() or "Home")}</a></li>'
        for path in menu
    )
    links = "".join(
        f'<li><h2><a href="{path}">{escape(text)}</a></h2></li>' for path, text in items
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>{head}</head>'
        f'<body><header><nav><ul><li><a href="/">Home</a></li>{nav}</ul></nav></header>'
        f'<main><h1>{escape(title)}</h1><ul class="list">{links}</ul></main>'
        '<footer><a href="/about">About us</a> <a href="/contact">Contact</a></footer></body></html>'
    )


def build_shaped_site(shape: str, base_url: str, now: datetime | None = None) -> ShapedSite:
    """The routes of a site of ``shape`` (one of :data:`SHAPES`) served at ``base_url``."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    articles = []
    for n, title in enumerate(TITLES):
        day = now - timedelta(days=n + 1)
        articles.append(
            FixtureArticle(
                PATHS[shape](n, day, title),
                title,
                paragraphs(f"{shape}-{n}", True),
                day.isoformat(),
            )
        )
    routes: dict[str, Resource] = {}
    for article in articles:
        routes[article.path] = Resource(
            pages.article_html(article, base_url, articles[:2]).encode()
        )
    items = [(article.path, article.title) for article in articles]
    sections = ["/world/", "/economy/"] if shape == "sections" else []
    menu = [*sections, "/tag/venezuela", "/tag/russia", "/about"]
    head = ""
    if shape == "feed":
        head = '<link rel="alternate" type="application/rss+xml" title="Latest" href="/feeds/latest.rss">'
    routes["/"] = Resource(_page("Shaped News", menu, [] if sections else items[:2], head).encode())
    for section in sections:
        listed = [item for item in items if item[0].startswith(section)]
        routes[section] = Resource(_page(section.strip("/").title(), menu, listed).encode())
    for path in NON_ARTICLES:
        routes[path] = Resource(_page(path.strip("/").title(), menu, []).encode())
    feed = pages.rss(
        base_url,
        [
            (base_url + a.path, a.title, format_datetime(datetime.fromisoformat(a.published)))
            for a in articles
        ],
    )
    if shape == "feed":
        routes["/feeds/latest.rss"] = Resource(feed.encode(), content_type="application/rss+xml")
    if shape == "common-feed":
        routes["/feed"] = Resource(feed.encode(), content_type="application/rss+xml")
    robots = "User-agent: *\nDisallow: /private/\n"
    if shape == "sitemap":
        robots += f"\nSitemap: {base_url}/maps/articles.xml\n"
        entries = [(base_url + a.path, a.title, a.published) for a in articles]
        routes["/maps/articles.xml"] = Resource(
            pages.news_sitemap(entries).encode(), content_type="application/xml"
        )
    routes["/robots.txt"] = Resource(robots.encode(), content_type="text/plain")
    return ShapedSite(shape, routes, [a.path for a in articles], list(NON_ARTICLES))
