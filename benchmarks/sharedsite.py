"""A fixture news site built from a folder of real article pages.

The folder holds ``pages.jsonl`` (url, title, published, body, file per line)
and the gzip-compressed pages it names, like ``../shared/pages``. Every page is
served under ``/articles/<file stem>`` and reachable through the homepage, one
paginated section per country, an RSS feed and a sitemap index, so a crawl of
the site exercises every discovery path over realistic HTML.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from sitefixture import pages
from sitefixture.server import Resource

ARTICLE_PATTERN = r"/articles/"
SECTION_PAGE_SIZE = 10


@dataclass(frozen=True)
class SharedPage:
    """One page of the folder and what its hand-written parser found."""

    path: str
    html: bytes
    url: str
    title: str
    authors: tuple[str, ...]
    published: str
    body: str
    country: str
    publisher: str = ""


def load_pages(folder: Path) -> list[SharedPage]:
    """Read ``pages.jsonl`` and the pages it names."""
    result = []
    for line in (folder / "pages.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        stem = row["file"].removesuffix(".html.gz")
        result.append(
            SharedPage(
                path=f"/articles/{stem}",
                html=gzip.decompress((folder / row["file"]).read_bytes()),
                url=row["url"],
                title=row.get("title") or "",
                authors=tuple(row.get("authors") or ()),
                published=row.get("published") or "",
                body=row.get("body") or "",
                country=row.get("country") or stem.split("/")[0],
                publisher=row.get("publisher") or "",
            )
        )
    return result


def _iso(published: str) -> str:
    try:
        return datetime.fromisoformat(published).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return "2024-01-01T00:00:00Z"


def build_shared_site(base_url: str, site_pages: list[SharedPage]) -> dict[str, Resource]:
    """Return the routes of a site serving ``site_pages`` at ``base_url``."""
    routes = {page.path: Resource(page.html, content_type="text/html") for page in site_pages}
    countries = sorted({page.country for page in site_pages})
    home_links = [(f"/section/{c}/", c.upper()) for c in countries]
    home_links += [(page.path, page.title) for page in site_pages[:20]]
    feed_head = f'<link rel="alternate" type="application/rss+xml" href="{base_url}/feed.rss">'
    routes["/"] = Resource(pages.listing_html("Shared pages", home_links, feed_head).encode())
    for country in countries:
        routes.update(_section(country, [p for p in site_pages if p.country == country]))
    rss_items = [
        (
            base_url + p.path,
            p.title,
            format_datetime(datetime.fromisoformat(_iso(p.published).replace("Z", "+00:00"))),
        )
        for p in site_pages[:50]
    ]
    routes["/feed.rss"] = Resource(
        pages.rss(base_url, rss_items).encode(), content_type="application/rss+xml"
    )
    routes["/robots.txt"] = Resource(
        f"User-agent: *\nDisallow: /private/\nSitemap: {base_url}/sitemap_index.xml\n".encode(),
        content_type="text/plain",
    )
    routes["/sitemap_index.xml"] = Resource(
        pages.sitemap_index([f"{base_url}/sitemaps/news.xml"]).encode(),
        content_type="application/xml",
    )
    news = [(base_url + p.path, p.title, _iso(p.published)) for p in site_pages]
    routes["/sitemaps/news.xml"] = Resource(
        pages.news_sitemap(news).encode(), content_type="application/xml"
    )
    return routes


def _section(country: str, members: list[SharedPage]) -> dict[str, Resource]:
    routes = {}
    chunks = [members[i : i + SECTION_PAGE_SIZE] for i in range(0, len(members), SECTION_PAGE_SIZE)]
    for number, chunk in enumerate(chunks, start=1):
        path = f"/section/{country}/" + ("" if number == 1 else f"page/{number}/")
        head = (
            f'<link rel="next" href="/section/{country}/page/{number + 1}/">'
            if number < len(chunks)
            else ""
        )
        routes[path] = Resource(
            pages.listing_html(
                f"{country.upper()}, page {number}", [(p.path, p.title) for p in chunk], head
            ).encode()
        )
    return routes


def with_copies(site_pages: list[SharedPage], copies: int) -> list[SharedPage]:
    """``site_pages`` served ``copies`` times, each copy under its own path (``/articles/STEM-2``...)."""
    result = list(site_pages)
    for number in range(2, copies + 1):
        result += [replace(page, path=f"{page.path}-{number}") for page in site_pages]
    return result


def source_toml(base_url: str, site_pages: list[SharedPage], name: str = "shared") -> str:
    """Return a sources file with one source for the site, no topic filter and no age limit."""
    countries = sorted({p.country for p in site_pages})
    sections = ", ".join(f'"{base_url}/section/{c}/"' for c in countries)
    largest = max(sum(1 for p in site_pages if p.country == c) for c in countries)
    return (
        "[[source]]\n"
        f'name = "{name}"\n'
        f'url = "{base_url}/"\n'
        f"article_pattern = '{ARTICLE_PATTERN}'\n"
        f"start_urls = [{sections}]\n"
        f"max_section_pages = {max(20, largest // SECTION_PAGE_SIZE + 2)}\n"
    )
