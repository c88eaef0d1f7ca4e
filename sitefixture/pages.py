"""HTML, feed, sitemap and robots.txt templates of the fixture news site."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

BOILERPLATE_TOP = """
<a class="skip" href="#main">Skip to content</a>
<div id="cookie-notice">We use cookies to improve your experience. <a href="/privacy">Accept all cookies</a></div>
<header><nav class="menu"><ul>
  <li><a href="/">Home</a></li><li><a href="/section/world/">World</a></li>
  <li><a href="/section/economy/">Economy</a></li><li><a href="/about">About us</a></li>
  <li><a href="/tag/venezuela">Venezuela</a></li><li><a href="/tag/russia">Russia</a></li>
</ul></nav></header>
"""
BOILERPLATE_BOTTOM = """
<div class="subscribe">Sign up for our weekly newsletter to get more news coverage.
<p>Your subscription is being used on another device. Subscribe now to keep reading.</p></div>
<div class="share"><a href="/share?fb">Share on Facebook</a> <a href="/share?x">Share on X</a></div>
<footer><ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy policy</a></li>
<li><a href="/contact">Contact</a></li></ul><p>© 2026 Fixture News. All rights reserved.</p></footer>
"""


@dataclass
class FixtureArticle:
    """One article of the fixture site."""

    path: str
    title: str
    paragraphs: list[str]
    published: str
    section: str = "world"
    authors: list[str] = field(default_factory=lambda: ["Ana Pérez"])
    on_topic: bool = True


def article_html(article: FixtureArticle, base_url: str, related: Iterable[FixtureArticle]) -> str:
    """Return an article page wrapped in the boilerplate the seeds show."""
    url = base_url + article.path
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": article.published,
        "author": [{"@type": "Person", "name": a} for a in article.authors],
    }
    body = "\n".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    links = "\n".join(f'<li><a href="{r.path}">{escape(r.title)}</a></li>' for r in related)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(article.title)} | Fixture News</title>
<link rel="canonical" href="{url}">
<meta property="og:type" content="article"><meta property="og:title" content="{escape(article.title)}">
<meta name="author" content="{escape(", ".join(article.authors))}">
<meta property="article:published_time" content="{article.published}">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body>{BOILERPLATE_TOP}
<div class="tags"><a href="/tag/venezuela">Venezuela</a> <a href="/tag/russia">Russia</a> <a href="/tag/oil">Oil</a></div>
<main id="main"><article>
<h1>{escape(article.title)}</h1>
<p class="byline">By {escape(", ".join(article.authors))} · <time datetime="{article.published}">{article.published[:10]}</time></p>
<div class="article-body">
{body}
</div></article>
<aside class="related"><h3>Read also</h3><ul>
{links}
</ul></aside></main>{BOILERPLATE_BOTTOM}</body></html>"""


def listing_html(
    title: str, items: Iterable[tuple[str, str]], extra_head: str = "", extra_body: str = ""
) -> str:
    """Return a listing page (homepage, section, tag) linking to ``(path, title)`` items."""
    links = "\n".join(
        f'<li><h2><a href="{path}">{escape(text)}</a></h2></li>' for path, text in items
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta property="og:type" content="website">{extra_head}</head>
<body>{BOILERPLATE_TOP}<main><h1>{escape(title)}</h1><ul class="list">
{links}
</ul>{extra_body}</main>{BOILERPLATE_BOTTOM}</body></html>"""


def rss(base_url: str, items: Iterable[tuple[str, str, str]]) -> str:
    """Return an RSS 2.0 feed of ``(url, title, rfc822 date)`` items."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(u)}</link><pubDate>{d}</pubDate></item>"
        for u, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Fixture News</title><link>{base_url}/</link>{entries}</channel></rss>"
    )


def atom(base_url: str, items: Iterable[tuple[str, str, str]]) -> str:
    """Return an Atom feed of ``(url, title, iso date)`` items."""
    entries = "".join(
        f'<entry><title>{escape(t)}</title><link rel="alternate" href="{escape(u)}"/>'
        f"<id>{escape(u)}</id><updated>{d}</updated></entry>"
        for u, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Fixture News</title><id>{base_url}/</id>{entries}</feed>"
    )


def sitemap_index(urls: Iterable[str]) -> str:
    entries = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    )


def news_sitemap(items: Iterable[tuple[str, str, str]]) -> str:
    """Return a Google News sitemap of ``(url, title, iso date)`` items."""
    entries = "".join(
        f"<url><loc>{escape(u)}</loc><news:news><news:publication><news:name>Fixture News</news:name>"
        f"<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{d}</news:publication_date><news:title>{escape(t)}</news:title>"
        "</news:news></url>"
        for u, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
    )
