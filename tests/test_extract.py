"""Extraction of a fixture article: headline, paragraphs, metadata, no boilerplate."""

from __future__ import annotations

import random

from corpus.extract import extract_article
from sitefixture.news import build_news_site

BASE = "http://127.0.0.1:8000"
BOILERPLATE = [
    "Skip to content",
    "cookies",
    "newsletter",
    "subscription",
    "Share on",
    "Read also",
    "All rights reserved",
    "About us",
    "Privacy policy",
]


def test_article_text_is_headline_then_paragraphs_without_boilerplate() -> None:
    site = build_news_site(BASE, "http://127.0.0.2:8000")
    fixture = site.articles["a1"]
    article = extract_article(site.routes[fixture.path].body, BASE + fixture.path, "utf-8")
    assert article is not None
    text = article.text()
    assert text.splitlines() == [fixture.title, *fixture.paragraphs]
    assert text.endswith("\n") and not text.endswith("\n\n")
    for phrase in BOILERPLATE:
        assert phrase not in text
    assert article.canonical_url == BASE + fixture.path
    assert article.authors == ["Ana Pérez"]
    assert article.published == fixture.published
    assert article.language == "en"


def test_charset_and_empty_pages() -> None:
    html = (
        "<html><body><article><h1>Título</h1>"
        + "<p>Una frase en español con acentos: ñandú.</p>" * 30
        + "</article></body></html>"
    )
    article = extract_article(html.encode("cp1252"), "http://n.example/a", "cp1252")
    assert article is not None and "ñandú" in article.text()
    assert extract_article(b"", "http://n.example/a") is None
    assert extract_article(b"   ", "http://n.example/a") is None


def test_binary_bodies_are_no_documents() -> None:
    noise = random.Random(3).randbytes(30_000)
    assert extract_article(noise, "http://127.0.0.1/news/2026/11/20/noise") is None
    # A stray control character in a real page is left out, not taken for binary.
    paragraphs = "".join(
        f"<p>On day {n} the ministers met again to talk about the pipeline deal and its cost.</p>"
        for n in range(20)
    )
    body = paragraphs.replace("deal", "deal\x07", 1)
    page = f"<html><body><article>{body}</article></body></html>"
    article = extract_article(page.encode(), "http://127.0.0.1/news/2026/11/20/talks")
    assert article is not None and len(article.paragraphs) == 20
    assert "\x07" not in article.text()


def test_control_characters_are_left_out_in_every_encoding() -> None:
    # Bytes in an ASCII-compatible codec are searched for control bytes, others as text.
    paragraphs = "".join(
        f"<p>Am Tag {n} trafen sich die Minister erneut, um über das Abkommen zu sprechen.</p>"
        for n in range(20)
    )
    body = paragraphs.replace("Abkommen", "Abkommen\x07", 1).replace("Tag 3", "Tag\uffff 3")
    page = f"<html><body><article>{body}</article></body></html>"
    url = "http://127.0.0.1/news/2026/11/20/minister"
    for encoding in ("utf-8", "cp1252", "utf-16"):
        data = page.replace("\uffff", "" if encoding == "cp1252" else "\uffff").encode(encoding)
        article = extract_article(data, url, encoding)
        assert article is not None and len(article.paragraphs) == 20, encoding
        assert "\x07" not in article.text() and "\uffff" not in article.text(), encoding
    article = extract_article(page.encode(), url)
    assert article is not None and "Abkommen zu" in article.text()
