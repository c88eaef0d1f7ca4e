"""Feeds, sitemaps and robots.txt from hostile servers: no exception escapes, no entity is expanded."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protego import Protego

from scraper import discovery
from scraper.discovery import Sitemap, parse_feed, parse_sitemap, sitemaps_from_robots

BASE = "http://127.0.0.1:8000/"
FUZZ = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# Pieces a broken or hostile feed or sitemap is made of.
junk = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
xml_piece = st.sampled_from(
    [
        "<rss>",
        "</rss>",
        "<channel>",
        "<item>",
        "</item>",
        "<link>",
        "</link>",
        "<pubDate>",
        "</pubDate>",
        "<feed xmlns='http://www.w3.org/2005/Atom'>",
        "<entry>",
        "<link href='",
        "'/>",
        "</entry>",
        "</feed>",
        "<urlset>",
        "</urlset>",
        "<sitemapindex>",
        "<sitemap>",
        "<url>",
        "<loc>",
        "</loc>",
        "<lastmod>",
        "</lastmod>",
        "<guid isPermaLink='true'>",
        "</guid>",
        "<![CDATA[",
        "]]>",
        "&amp;",
        "&bogus;",
        "&#0;",
        "<?xml version='1.0' encoding='latin-1'?>",
        "<!DOCTYPE x [<!ENTITY e 'v'>]>",
        "\x00",
        "\ufeff",
        "javascript:alert(1)",
        "http://",
        "//",
        "mailto:a@b",
        "Mon, 99 Foo 2026",
        "2026-13-45T99:99:99Z",
    ]
)
xml_document = st.lists(st.one_of(xml_piece, junk), max_size=40).map("".join)


def check_results(feed: object, sitemap: object) -> None:
    assert feed is None or all(isinstance(entry.url, str) for entry in feed)  # type: ignore[attr-defined]
    assert sitemap is None or isinstance(sitemap, Sitemap)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(body: bytes) -> None:
    check_results(parse_feed(body, BASE), parse_sitemap(body, BASE))


@FUZZ
@given(xml_document, st.booleans(), st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_broken_feeds_and_sitemaps(text: str, gzipped: bool, encoding: str) -> None:
    body = text.encode(encoding, "replace")
    if gzipped:
        body = gzip.compress(body)
    check_results(parse_feed(body, BASE), parse_sitemap(body, BASE))


@FUZZ
@given(
    st.lists(
        st.one_of(
            junk,
            st.sampled_from(
                ["Sitemap:", "User-agent: *", "Disallow: /", "Allow:", "Crawl-delay: x", "\n", "#"]
            ),
        ),
        max_size=40,
    ).map("".join)
)
def test_garbage_robots(text: str) -> None:
    found = sitemaps_from_robots(text, BASE)
    assert all(isinstance(url, str) for url in found)
    Protego.parse(text).can_fetch(BASE + "news/1", "news-archiver")


def test_a_truncated_gzip_sitemap_is_not_an_error() -> None:
    whole = gzip.compress(b"<urlset><url><loc>http://127.0.0.1:8000/a</loc></url></urlset>")
    assert parse_sitemap(whole[: len(whole) // 2], BASE) is None


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">' for n in range(1, 10)
    )
    + "]><urlset><url><loc>http://127.0.0.1:8000/&lol9;</loc></url></urlset>"
)


def test_an_entity_bomb_is_never_expanded() -> None:
    sitemap = parse_sitemap(BILLION_LAUGHS.encode(), BASE)
    assert sitemap is None or all(len(entry.url) < 1000 for entry in sitemap.pages)
    feed = parse_feed(
        BILLION_LAUGHS.replace("urlset", "rss")
        .replace("<url>", "<item>")
        .replace("</url>", "</item>")
        .replace("loc>", "link>")
        .encode(),
        BASE,
    )
    assert feed is None or all(len(entry.url) < 1000 for entry in feed)


def test_an_external_entity_is_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    for document in (
        (
            f'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<urlset><url><loc>http://127.0.0.1:8000/&x;</loc></url></urlset>"
        ),
        f'<?xml version="1.0"?><!DOCTYPE u SYSTEM "file://{secret}"><urlset><url><loc>http://127.0.0.1:8000/a</loc></url></urlset>',
    ):
        sitemap = parse_sitemap(document.encode(), BASE)
        assert sitemap is None or all("TOP-SECRET" not in entry.url for entry in sitemap.pages)
        feed = parse_feed(
            document.replace("urlset", "rss")
            .replace("<url>", "<item>")
            .replace("</url>", "</item>")
            .replace("loc>", "link>")
            .encode(),
            BASE,
        )
        assert feed is None or all("TOP-SECRET" not in entry.url for entry in feed)


def test_a_huge_gzipped_sitemap_is_read_only_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "MAX_XML_BYTES", 1 << 20)
    entry = b"<url><loc>http://127.0.0.1:8000/a</loc></url>"
    count = (1 << 20) // len(entry) + 10_000
    sitemap = parse_sitemap(gzip.compress(b"<urlset>" + entry * count + b"</urlset>", 1), BASE)
    assert sitemap is not None and 0 < len(sitemap.pages) < count
