"""ArticleItems: the one place article responses become numbered items, live and in replay."""

from __future__ import annotations

from scrapy import Spider
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from scraper.articles import UNCHANGED, ArticleItems
from scraper.signals import article_filtered
from scraper.sources import Source
from sitefixture.settings import project_settings

SOURCE = Source(name="a", url="https://a.example/")
HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_items_are_numbered_in_the_order_they_are_made_and_carry_their_provenance() -> None:
    articles = ArticleItems(get_crawler(Spider, project_settings()))
    made = [
        articles.item(
            HtmlResponse(f"https://a.example/{n}", body="<p>é</p>".encode(), headers=HTML),
            SOURCE,
            fetched_at="2026-11-30T12:00:00Z",
            warc={"offset": n},
            requested_url=f"https://a.example/{n}?",
            recrawl=n == 1,
        )
        for n in range(3)
    ]
    assert [item.sequence for item in made] == [0, 1, 2]
    first = made[0]
    assert (first.url, first.source, first.fetched_at, first.warc) == (
        "https://a.example/0",
        "a",
        "2026-11-30T12:00:00Z",
        {"offset": 0},
    )
    assert first.body == "<p>é</p>".encode() and first.encoding == "utf-8"
    assert first.requested_url == "https://a.example/0?" and [m.recrawl for m in made] == [
        False,
        True,
        False,
    ]


def test_unfit_responses_are_named_and_filtered_ones_counted_and_signalled() -> None:
    crawler = get_crawler(Spider, project_settings())
    articles = ArticleItems(crawler)
    page = HtmlResponse("https://a.example/x", body=b"<p>x</p>", headers=HTML)
    assert articles.unfit(page) is None
    cut = HtmlResponse(page.url, body=page.body, headers=HTML, flags=["download_stopped"])
    assert articles.unfit(cut) == "truncated"
    cut_pdf = Response("https://a.example/pdf", body=b"%PDF", flags=["download_stopped"])
    assert articles.unfit(cut_pdf) == "not-html"  # as the live crawl counts it
    assert articles.unfit(Response("https://a.example/pdf", body=b"%PDF")) == "not-html"
    text = TextResponse("https://a.example/t", body=b"x", headers={"Content-Type": "text/plain"})
    assert articles.unfit(text) == "not-html"
    heard: list[tuple[str, str, str]] = []

    def hear(source: str, reason: str, url: str) -> None:
        heard.append((source, reason, url))

    crawler.signals.connect(hear, signal=article_filtered)  # held weakly: kept in scope
    articles.filtered(SOURCE, UNCHANGED, "https://a.example/x")
    articles.filtered(SOURCE, "not-html", "https://a.example/pdf")
    assert crawler.stats is not None
    assert crawler.stats.get_value("news/a/filtered/unchanged") == 1
    assert crawler.stats.get_value("news/a/filtered/not-html") == 1
    assert heard == [
        ("a", "unchanged", "https://a.example/x"),
        ("a", "not-html", "https://a.example/pdf"),
    ]
