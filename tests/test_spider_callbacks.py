"""NewsSpider's callbacks, in-process: responses built here, the requests, items and stats they give."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from scraper import discovery
from scraper.failures import PageRefused
from scraper.items import PageItem
from scraper.signals import article_filtered, article_settled
from scraper.spiders.news import NewsSpider
from sitefixture import pages
from sitefixture.inprocess import project_crawler, response

BASE = "https://a.example"
SOURCES = f'[[source]]\nname = "a"\nurl = "{BASE}/"\n'


def news_spider(tmp_path: Path, extra: str = "", **settings: Any) -> NewsSpider:
    crawler = project_crawler(NewsSpider, SOURCES + extra, tmp_path, **settings)
    spider = NewsSpider.from_crawler(crawler)
    crawler.spider = spider
    return spider


def stats(spider: NewsSpider) -> dict[str, Any]:
    """The spider's ``news/a/...`` stats, without the prefix."""
    values = spider.crawler.stats.get_stats()
    return {k.removeprefix("news/a/"): v for k, v in values.items() if k.startswith("news/a/")}


def asked(requests: Iterable[Request]) -> list[tuple[str, str]]:
    return [(request.url, request.meta["kind"]) for request in requests]


def collect(requests: AsyncIterator[Request]) -> list[Request]:
    async def run() -> list[Request]:
        return [request async for request in requests]

    return asyncio.run(run())


def test_a_homepage_gives_its_articles_its_feed_and_its_next_page_once_each(
    tmp_path: Path,
) -> None:
    spider = news_spider(tmp_path)
    links = [
        ("/2026/11/30/first", "First"),
        ("/2026/11/30/first", "First again"),  # the same article twice
        ("/world/big-story-about-oil", "Big story"),
        ("/about", "About"),  # not an article path
        ("https://elsewhere.example/2026/11/30/x", "Off site"),
    ]
    head = '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
    body = '<a rel="next" href="/page/2">More</a>'
    home = pages.listing_html("Home", links, extra_head=head, extra_body=body)
    requests = list(spider.parse_home(response(f"{BASE}/", home, source="a", kind="home")))
    assert asked(requests) == [
        (f"{BASE}/feed.xml", "feed"),
        (f"{BASE}/2026/11/30/first", "article"),
        (f"{BASE}/world/big-story-about-oil", "article"),
        (f"{BASE}/page/2", "section"),
    ]
    assert requests[-1].meta["page"] == 2 and requests[1].callback == spider.parse_article
    assert stats(spider) == {"discovered": 2}
    again = response(f"{BASE}/page/2", home, source="a", kind="section", page=2)
    following = list(spider.parse_section(again))  # its articles are all seen: none again
    assert asked(following) == [(f"{BASE}/page/2", "section")] and following[0].meta["page"] == 3
    assert stats(spider) == {"discovered": 2}


def test_section_pages_stop_at_max_section_pages(tmp_path: Path) -> None:
    spider = news_spider(tmp_path, "max_section_pages = 2\n")
    page = pages.listing_html("S", [], extra_body='<a rel="next" href="/s?p=3">Next</a>')
    assert asked(spider.parse_section(response(f"{BASE}/s?p=1", page, source="a", page=1))) == [
        (f"{BASE}/s?p=3", "section")
    ]
    assert list(spider.parse_section(response(f"{BASE}/s?p=2", page, source="a", page=2))) == []


def test_a_homepage_that_is_not_html_gives_nothing(tmp_path: Path) -> None:
    spider = news_spider(tmp_path)
    assert list(spider.parse_home(response(f"{BASE}/", b"  ", source="a"))) == []


def test_a_feed_asks_for_its_fresh_articles_and_counts_the_old_ones(tmp_path: Path) -> None:
    spider = news_spider(tmp_path, "max_age_days = 30\n")
    feed = pages.rss(
        BASE,
        [
            (f"{BASE}/news/new-story-from-today", "New", "Mon, 30 Nov 2026 10:00:00 GMT"),
            (f"{BASE}/news/old-story-from-last-year", "Old", "Sat, 30 Nov 2024 10:00:00 GMT"),
            (f"{BASE}/news/undated-story-in-the-feed", "Undated", ""),
        ],
    )
    requests = spider.parse_feed(response(f"{BASE}/feed.xml", feed, "xml", source="a"))
    assert asked(requests) == [  # a feed's links need not look like article paths
        (f"{BASE}/news/new-story-from-today", "article"),
        (f"{BASE}/news/undated-story-in-the-feed", "article"),
    ]
    assert stats(spider) == {"skipped_old": 1, "discovered": 2}
    assert list(spider.parse_feed(response(f"{BASE}/x", "<html/>", source="a"))) == []
    assert stats(spider)["errors/bad_feed"] == 1


def test_a_sitemap_index_asks_for_its_sitemaps_one_level_deeper(tmp_path: Path) -> None:
    spider = news_spider(tmp_path, "max_sitemap_depth = 1\n")
    index = pages.sitemap_index(
        [f"{BASE}/sitemap-1.xml", "https://elsewhere.example/sitemap.xml", f"{BASE}/sitemap-1.xml"]
    )
    top = response(f"{BASE}/sitemap.xml", index, "xml", source="a", sitemap_depth=0)
    requests = collect(spider.parse_sitemap(top))
    assert asked(requests) == [(f"{BASE}/sitemap-1.xml", "sitemap")]
    assert requests[0].meta["sitemap_depth"] == 1
    deeper = response(
        f"{BASE}/sitemap-1.xml",
        pages.sitemap_index([f"{BASE}/sitemap-2.xml", f"{BASE}/sitemap-2.xml"]),
        "xml",
        source="a",
    )
    deeper.meta["sitemap_depth"] = 1
    assert collect(spider.parse_sitemap(deeper)) == []
    assert stats(spider) == {"cut/sitemap_depth": 1}


def test_a_news_sitemap_asks_for_its_articles_up_to_max_sitemap_urls(tmp_path: Path) -> None:
    spider = news_spider(tmp_path, "max_sitemap_urls = 2\nmax_age_days = 30\n")
    urlset = pages.news_sitemap(
        [
            (f"{BASE}/news/old-story-from-last-year", "Old", "2024-11-30T10:00:00Z"),
            (f"{BASE}/news/first-story-of-today", "First", "2026-11-30T10:00:00Z"),
            (f"{BASE}/news/second-story-of-today", "Second", "2026-11-30T11:00:00Z"),
        ]
    )
    requests = collect(
        spider.parse_sitemap(response(f"{BASE}/news.xml", urlset, "xml", source="a"))
    )
    assert asked(requests) == [(f"{BASE}/news/first-story-of-today", "article")]
    assert stats(spider) == {"skipped_old": 1, "discovered": 1, "cut/sitemap_urls": 1}
    assert collect(spider.parse_sitemap(response(f"{BASE}/x.xml", "<html/>", source="a"))) == []
    assert stats(spider)["errors/bad_sitemap"] == 1


def test_new_articles_past_max_articles_and_too_long_links_are_not_asked_for(
    tmp_path: Path,
) -> None:
    spider = news_spider(tmp_path, "max_articles = 1\n", URLLENGTH_LIMIT=60)
    links = [(f"/2026/11/30/story-{n}", "S") for n in range(3)]
    links.append(("/2026/11/30/" + "x" * 60, "Long"))
    requests = spider.parse_home(response(f"{BASE}/", pages.listing_html("H", links), source="a"))
    assert asked(requests) == [(f"{BASE}/2026/11/30/story-0", "article")]
    assert stats(spider) == {"discovered": 3, "cut/articles": 2, "skipped_long_url": 1}


def test_an_article_page_becomes_a_numbered_item_with_its_provenance(tmp_path: Path) -> None:
    spider = news_spider(tmp_path)
    meta: dict[str, Any] = {
        "source": "a",
        "kind": "article",
        "warc_date": "2026-11-30T12:00:00Z",
        "warc": {"filename": "x.warc.gz", "offset": 7},
        "redirect_urls": [f"{BASE}/2026/11/30/story?utm_source=x"],
    }
    page = response(f"{BASE}/2026/11/30/story-moved", "<p>Story é</p>", **meta)
    made = [list(spider.parse_article(page)) for _ in range(2)]
    assert [len(items) for items in made] == [1, 1]
    first, second = made[0][0], made[1][0]
    assert isinstance(first, PageItem)
    assert (first.sequence, second.sequence) == (0, 1)
    assert (first.url, first.source, first.fetched_at) == (page.url, "a", "2026-11-30T12:00:00Z")
    assert first.warc == {"filename": "x.warc.gz", "offset": 7}
    assert first.requested_url == f"{BASE}/2026/11/30/story"  # before the redirect, canonical
    assert first.encoding == "utf-8" and not first.recrawl
    assert stats(spider) == {}


def test_an_article_that_is_not_html_or_unchanged_gives_no_item(tmp_path: Path) -> None:
    spider = news_spider(tmp_path)
    filtered: list[tuple[str, str, str]] = []
    settled: list[tuple[str, str, str | None]] = []

    def hear_filtered(source: str, reason: str, url: str) -> None:
        filtered.append((source, reason, url))

    def hear_settled(url: str, outcome: str, source: str | None) -> None:
        settled.append((url, outcome, source))

    # held weakly by the signal manager: kept in scope
    spider.crawler.signals.connect(hear_filtered, signal=article_filtered)
    spider.crawler.signals.connect(hear_settled, signal=article_settled)
    pdf = Response(
        f"{BASE}/2026/11/30/report.pdf",
        body=b"%PDF",
        request=Request(BASE, meta={"redirect_urls": [f"{BASE}/2026/11/30/r?utm_source=x"]}),
    )
    pdf.request.meta["source"] = "a"  # type: ignore[union-attr]
    assert list(spider.parse_article(pdf)) == []
    same = response(f"{BASE}/2026/11/30/story", "<p>x</p>", source="a", recrawl=True)
    same.flags.append("archived")  # a 304, answered from the archive
    assert list(spider.parse_article(same)) == []
    assert stats(spider) == {"filtered/not-html": 1, "filtered/unchanged": 1}
    assert filtered == [("a", "not-html", pdf.url), ("a", "unchanged", same.url)]
    # the outcome of the URL asked for; the unchanged article keeps the one it had
    assert settled == [(f"{BASE}/2026/11/30/r", "filtered:not-html", "a")]


def test_fetch_errors_are_counted_except_gone_articles_and_ignored_requests(
    tmp_path: Path,
) -> None:
    spider = news_spider(tmp_path)

    def fail(error: Exception, url: str, kind: str) -> None:
        failure = Failure(error)
        failure.request = Request(url, meta={"source": "a", "kind": kind})  # type: ignore[attr-defined]
        spider.on_error(failure)

    def http(status: int, url: str) -> HttpError:
        return HttpError(Response(url, status=status), "not 2xx")

    fail(http(404, f"{BASE}/2026/gone"), f"{BASE}/2026/gone", "article")
    fail(http(410, f"{BASE}/2026/gone2"), f"{BASE}/2026/gone2", "article")
    assert stats(spider) == {}
    fail(http(404, f"{BASE}/feed.xml"), f"{BASE}/feed.xml", "feed")
    fail(http(500, f"{BASE}/2026/broken"), f"{BASE}/2026/broken", "article")
    fail(IgnoreRequest("robots.txt"), f"{BASE}/private", "article")
    fail(ConnectionRefusedError("refused"), f"{BASE}/down", "home")
    assert stats(spider) == {"errors/http": 2, "errors": 1}
    fail(PageRefused("Redirect loop"), f"{BASE}/2026/loop", "article")
    assert stats(spider) == {"errors/http": 2, "errors": 1, "errors/refused": 1}


def test_a_sitemap_read_only_in_part_is_an_error_of_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discovery, "MAX_XML_BYTES", 4096)
    spider = news_spider(tmp_path)
    urlset = pages.news_sitemap([(f"{BASE}/news/story", "Story", "2026-11-30T10:00:00Z")])
    padded = gzip.compress(urlset.encode().replace(b"</urlset>", b" " * 8192 + b"</urlset>"))
    sitemap = response(f"{BASE}/news.xml.gz", padded, "xml", source="a")
    assert asked(collect(spider.parse_sitemap(sitemap))) == [(f"{BASE}/news/story", "article")]
    assert stats(spider)["errors/sitemap_cut"] == 1


def test_a_feed_read_only_in_part_is_an_error_of_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Its first MAX_XML_BYTES parse (lxml recovers), so it used to pass for a whole feed."""
    monkeypatch.setattr(discovery, "MAX_XML_BYTES", 4096)
    spider = news_spider(tmp_path)
    rss = pages.rss(BASE, [(f"{BASE}/news/story", "Story", "")])
    padded = gzip.compress(rss.encode().replace(b"</channel>", b" " * 8192 + b"</channel>"))
    feed = response(f"{BASE}/feed.xml.gz", padded, "xml", source="a")
    assert asked(spider.parse_feed(feed)) == [(f"{BASE}/news/story", "article")]
    assert stats(spider)["errors/feed_cut"] == 1
    assert f"{BASE}/feed.xml.gz inflates past 0 MiB" in caplog.text


def test_no_callback_of_ours_is_a_generator_that_returns_a_value() -> None:
    """What Scrapy's WARN_ON_GENERATOR_RETURN_VALUE would warn of, which our settings turn off."""
    from scrapy.utils.misc import is_generator_with_return_value

    from scraper.commands.extract import FetchSpider
    from scraper.onboarding.probe import LookingSpider, ProbeSpider
    from scraper.replay.rejudge import RejudgeSpider
    from scraper.replay.spider import ReplaySpider

    def returns_a_value() -> Iterable[int]:
        yield 1
        return 2  # type: ignore[misc]

    assert is_generator_with_return_value(returns_a_value)  # the check finds one
    spiders = (NewsSpider, ReplaySpider, RejudgeSpider, LookingSpider, ProbeSpider, FetchSpider)
    checked = [
        getattr(spider, name)
        for spider in spiders
        for name in dir(spider)
        if callable(getattr(spider, name, None)) and not name.startswith("__")
    ]
    offending = [m.__qualname__ for m in checked if is_generator_with_return_value(m)]
    assert offending == [] and len(checked) > 50
