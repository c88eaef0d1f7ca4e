"""Feeds, sitemaps, robots.txt and HTML links, including hostile XML."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from scraper import discovery


def test_rss_and_atom_entries_with_dates() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel>
    <item><link>https://n.example/a</link><pubDate>Mon, 23 Nov 2026 07:00:00 GMT</pubDate></item>
    <item><guid>https://n.example/b</guid></item></channel></rss>"""
    assert discovery.parse_feed(rss, "https://n.example/") == [
        discovery.Entry("https://n.example/a", datetime(2026, 11, 23, 7, tzinfo=UTC)),
        discovery.Entry("https://n.example/b", None),
    ]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="self" href="/self"/>
    <link href="/c"/><published>2026-11-01T10:00:00+01:00</published></entry></feed>"""
    (entry,) = discovery.parse_feed(atom, "https://n.example/x/")
    assert entry.url == "https://n.example/c" and entry.modified.hour == 9


def test_a_feed_whose_dtd_nests_entities_keeps_its_items_and_counts_the_declarations() -> None:
    """The entities of a "billion laughs" DTD made the parser give up: every item was lost."""
    declarations = '<!ENTITY e0 "lol">' + "".join(
        f'<!ENTITY e{level} "{f"&e{level - 1};" * 10}">' for level in range(1, 9)
    )
    rss = f"""<?xml version="1.0"?><!DOCTYPE rss [{declarations}]>
    <rss version="2.0"><channel><title>&e8;</title>
    <item><title>A &amp; B &e8;</title><link>https://n.example/a?x=1&amp;y=2</link></item>
    <item><link>https://n.example/b</link></item></channel></rss>""".encode()
    feed = discovery.read_feed(rss, "https://n.example/")
    assert feed == discovery.Feed(
        [
            discovery.Entry("https://n.example/a?x=1&y=2", None),
            discovery.Entry("https://n.example/b", None),
        ],
        refused=9,
    )


def test_rss_dates_prefer_pubdate_then_dc_date() -> None:
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
    <item><dc:date>2026-11-20T08:00:00Z</dc:date><link>https://n.example/d</link></item>
    <item><dc:date>2026-11-20T08:00:00Z</dc:date><pubDate>Mon, 23 Nov 2026 07:00:00 GMT</pubDate>
      <link>https://n.example/e</link></item></rdf:RDF>"""
    assert discovery.parse_feed(rdf, "https://n.example/") == [
        discovery.Entry("https://n.example/d", datetime(2026, 11, 20, 8, tzinfo=UTC)),
        discovery.Entry("https://n.example/e", datetime(2026, 11, 23, 7, tzinfo=UTC)),
    ]


def test_a_date_past_the_calendar_in_utc_is_no_date_and_the_rest_of_the_feed_stays() -> None:
    rss = b"""<rss version="2.0"><channel>
    <item><link>https://n.example/a</link><pubDate>Fri, 31 Dec 9999 23:59:59 -1200</pubDate></item>
    <item><link>https://n.example/b</link><pubDate>Mon, 23 Nov 2026 07:00:00 GMT</pubDate></item>
    </channel></rss>"""
    assert discovery.parse_feed(rss, "https://n.example/") == [
        discovery.Entry("https://n.example/a", None),
        discovery.Entry("https://n.example/b", datetime(2026, 11, 23, 7, tzinfo=UTC)),
    ]
    assert discovery.parse_date("0001-01-01T00:00:00+01:00") is None


def test_not_a_feed() -> None:
    assert discovery.parse_feed(b"<html><body>hi</body></html>", "https://n.example/") is None
    assert discovery.parse_feed(b"", "https://n.example/") is None


def test_sitemap_index_urlset_news_and_gzip() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://n.example/s1.xml</loc><lastmod>2026-11-01</lastmod></sitemap></sitemapindex>"""
    parsed = discovery.parse_sitemap(gzip.compress(index), "https://n.example/")
    assert parsed.pages == [] and parsed.sitemaps[0].url == "https://n.example/s1.xml"
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://n.example/a</loc>
    <lastmod>2020-01-01</lastmod><news:news><news:publication_date>2026-11-20T08:00:00Z</news:publication_date>
    </news:news></url></urlset>"""
    (page,) = discovery.parse_sitemap(urlset, "https://n.example/").pages
    assert page.modified == datetime(2026, 11, 20, 8, tzinfo=UTC)


def test_a_large_sitemap_is_read_as_a_stream_without_keeping_its_tree() -> None:
    urls = [f"https://n.example/news/{n}" for n in range(20_000)]
    urlset = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><!-- made by hand -->'
        + "".join(
            f"<url><loc>{url}</loc><lastmod>2026-11-0{1 + n % 9}</lastmod></url>"
            for n, url in enumerate(urls)
        )
        + "</urlset>"
    ).encode()
    assert len(urlset) > 20 * 64 * 1024  # many chunks
    parsed = discovery.parse_sitemap(urlset, "https://n.example/")
    assert [entry.url for entry in parsed.pages] == urls
    assert [entry.modified.day for entry in parsed.pages] == [1 + n % 9 for n in range(20_000)]
    elements = discovery._streamed(urlset)
    root = next(elements)
    most = max(len(root) for _ in elements)
    assert most < len(urls) / 10  # a chunk's worth of entries at a time, never the whole tree


def test_a_sitemap_cut_short_gives_the_entries_before_the_cut() -> None:
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://n.example/a</loc></url>
    <url><loc>https://n.example/b</loc></url><url><loc>https://n.exa"""
    found = [entry.url for entry in discovery.parse_sitemap(urlset, "https://n.example/").pages]
    assert found[:2] == ["https://n.example/a", "https://n.example/b"]
    assert (
        discovery.parse_sitemap(
            b"<html><body><url><loc>https://n.example/a</loc></url></body></html>",
            "https://n.example/",
        )
        is None
    )


def test_entities_are_never_expanded_nor_resolved() -> None:
    hostile = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">
    <!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://n.example/&x;&b;</loc></url></urlset>"""
    parsed = discovery.parse_sitemap(hostile, "https://n.example/")
    assert all("root:" not in e.url and "aaaa" not in e.url for e in parsed.pages)


def test_robots_sitemap_lines() -> None:
    text = (
        "User-agent: *\nDisallow: /private/\nSitemap: https://n.example/sm.xml\nsitemap:/rel.xml\n"
    )
    assert discovery.sitemaps_from_robots(text, "https://n.example/robots.txt") == [
        "https://n.example/sm.xml",
        "https://n.example/rel.xml",
    ]


def test_html_feed_links_page_links_and_next() -> None:
    tree = discovery.parse_html(
        b"""<html><head><link rel="alternate" type="application/rss+xml" href="/rss">
        <link rel="alternate" type="text/html" hreflang="es" href="/es/"><link rel="next" href="?page=2"></head>
        <body><a href="/a#x">A</a><a href="mailto:x@y">M</a><a href="https://other.example/b">B</a></body></html>""",
        "https://n.example/section/",
    )
    assert discovery.feed_links(tree) == ["https://n.example/rss"]
    assert list(discovery.page_links(tree)) == ["https://n.example/a#x", "https://other.example/b"]
    assert discovery.next_page(tree) == "https://n.example/section/?page=2"


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-1", "cp1252"])
def test_links_are_decoded_with_the_encoding_of_the_response(encoding: str) -> None:
    """The charset named only in the HTTP header reaches the parser: no mojibake in links."""
    body = '<html><body><a href="/news/\u00fcber-die-br\u00fccke">\u00dc</a></body></html>'.encode(
        encoding
    )
    tree = discovery.parse_html(body, "http://n.example/", encoding)
    assert list(discovery.page_links(tree)) == ["http://n.example/news/\u00fcber-die-br\u00fccke"]


def test_default_article_path_heuristic() -> None:
    looks = discovery.DEFAULT_ARTICLE_PATH.search
    assert looks("https://n.example/2026/11/20/a-story")
    assert looks("https://n.example/story/3000000218734/title")
    assert looks("https://n.example/world/venezuela-expands-ties-with-russia")
    assert not looks("https://n.example/world/")
    assert looks(
        "https://n.example/welt/\u00fcber-die-br\u00fccke-von-morgen"
    )  # slugs in any script
    assert not looks("https://n.example/tag/venezuela")


def billion_laughs(middle: str) -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">' for n in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE urlset [{entities}]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>https://n.example/a</loc></url><url><loc>{middle}</loc></url>"
        "<url><loc>https://n.example/b</loc></url><url><loc>https://n.example/c</loc></url></urlset>"
    ).encode()


def test_a_billion_laughs_sitemap_keeps_the_urls_after_the_entity_and_counts_what_it_left_out() -> (
    None
):
    parsed = discovery.parse_sitemap(
        billion_laughs("https://n.example/&lol9;"), "https://n.example/"
    )
    assert [entry.url for entry in parsed.pages] == [
        "https://n.example/a",
        "https://n.example/b",
        "https://n.example/c",
    ]
    assert parsed.refused == 10 + 1  # ten declarations, one entry using them
    clean = discovery.parse_sitemap(billion_laughs("https://n.example/x"), "https://n.example/")
    assert len(clean.pages) == 4 and clean.refused == 10


def test_an_unescaped_ampersand_in_a_loc_is_read_as_written() -> None:
    urlset = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://n.example/a?a=1&b=2</loc></url>"
        b"<url><loc>https://n.example/b?a=1&amp;b=2&#38;c=3</loc></url>"
        b"<url><loc>https://n.example/c?q=x&</loc></url></urlset>"
    )
    parsed = discovery.parse_sitemap(urlset, "https://n.example/")
    assert [entry.url for entry in parsed.pages] == [
        "https://n.example/a?a=1&b=2",
        "https://n.example/b?a=1&b=2&c=3",
        "https://n.example/c?q=x&",
    ]
    assert parsed.refused == 0


def test_a_gzipped_sitemap_that_inflates_past_the_limit_says_it_was_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its first MAX_XML_BYTES were read and the rest dropped without a word."""
    monkeypatch.setattr(discovery, "MAX_XML_BYTES", 4096)
    head = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    first = b"<url><loc>https://n.example/a</loc></url>"
    last = b"<url><loc>https://n.example/b</loc></url></urlset>"
    cut = discovery.iter_sitemap(
        gzip.compress(head + first + b" " * 8192 + last), "https://n.example/"
    )
    whole = discovery.iter_sitemap(gzip.compress(head + first + last), "https://n.example/")
    assert cut is not None and whole is not None
    assert [entry.url for entry in cut] == ["https://n.example/a"] and cut.cut
    assert [entry.url for entry in whole] == ["https://n.example/a", "https://n.example/b"]
    assert not whole.cut
