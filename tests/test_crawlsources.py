"""The Sources component: read once per crawl, shared by the spider, pipelines and summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from corpus.article import Article
from scraper.crawlsources import Sources
from scraper.extensions.summary import SourceSummary
from scraper.items import PageItem
from scraper.pipelines import ExtractionPipeline, FilterPipeline
from sitefixture.settings import project_settings

SOURCES = """
[[source]]
name = "a"
url = "https://a.example/"
keywords = ["Maduro"]

[[source]]
name = "b"
url = "https://b.example/"

[[source]]
name = "off"
url = "https://off.example/"
enabled = false
"""


@pytest.fixture
def sources_file(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES)
    return path


def item(source: str, text: str) -> PageItem:
    page = PageItem(
        url=f"https://{source}.example/x", source=source, fetched_at="", warc={}, body=b""
    )
    page.article = Article(
        url=page.url,
        title="T",
        paragraphs=[text + " " + "word " * 120],
        page_type="article",
        link_words=0,
    )
    return page


def test_the_file_is_read_once_and_every_component_gets_the_spiders_selection(
    sources_file: Path,
) -> None:
    crawler = get_crawler(Spider, project_settings({"SOURCES_FILE": str(sources_file)}))
    selected = Sources.from_crawler(crawler, "off,a")
    sources_file.write_text("not toml [")  # read again, this would fail
    assert list(selected) == ["off", "a"] and selected["a"].url == "https://a.example/"
    assert build_from_crawler(FilterPipeline, crawler).sources is selected
    assert build_from_crawler(ExtractionPipeline, crawler).sources is selected
    assert build_from_crawler(SourceSummary, crawler).sources is selected


def test_with_no_selection_the_enabled_sources_are_taken(sources_file: Path) -> None:
    crawler = get_crawler(Spider, project_settings({"SOURCES_FILE": str(sources_file)}))
    assert list(build_from_crawler(FilterPipeline, crawler).sources) == ["a", "b"]


def test_the_filter_judges_an_item_by_its_sources_keywords(sources_file: Path) -> None:
    crawler = get_crawler(Spider, project_settings({"SOURCES_FILE": str(sources_file)}))
    pipeline = build_from_crawler(FilterPipeline, crawler)
    with pytest.raises(DropItem):
        pipeline.process_item(item("a", "Oil prices rose."))
    kept = pipeline.process_item(item("a", "Maduro spoke."))
    assert kept.outcome is None
    pipeline.process_item(item("b", "Oil prices rose."))  # b has no keywords
    stats = crawler.stats
    assert stats is not None
    assert stats.get_value("news/a/filtered/off-topic") == 1
    assert stats.get_value("news/b/filtered/off-topic") is None


def test_the_summary_counts_a_response_for_the_source_whose_site_it_is_on(
    sources_file: Path,
) -> None:
    crawler = get_crawler(Spider, project_settings({"SOURCES_FILE": str(sources_file)}))
    summary = build_from_crawler(SourceSummary, crawler)
    spider = Spider("x")
    for url in ("https://a.example/story", "https://off.example/story", "https://b.example/x"):
        request = Request(url)
        summary.response_downloaded(Response(url, status=200), request, spider)
    stats = crawler.stats
    assert stats is not None
    assert stats.get_value("news/a/fetched") == 1 and stats.get_value("news/a/answered") == 1
    assert stats.get_value("news/b/status/200") == 1
    assert stats.get_value("news/off/fetched") is None  # not selected: not this crawl's
