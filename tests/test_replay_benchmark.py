"""The replay benchmark's limit from the archive reads the pages a replay by the index reads; a
way can carry settings of its own."""

from __future__ import annotations

import pytest

from benchmarks.replay import (
    archive_limit,
    archived_articles,
    archived_bodies,
    describe,
    parse_way,
)
from corpus.extract import DEFAULT_OPTIONS
from scraper.fromarchive import extract_archived
from sitefixture.scrapyrun import CrawlResult
from tests.conftest import ServedSite


def test_the_located_pages_are_the_archived_articles_and_extract_as_the_corpus_did(
    crawled: tuple[ServedSite, CrawlResult],
) -> None:
    _, result = crawled
    located = archived_bodies(result.archive)
    assert sorted(url for url, _ in located) == sorted(
        url for url, _ in archived_articles(result.archive)
    )
    corpus_urls = {entry["url"] for entry in result.manifest()}
    extracted = {
        url for url, body in located if extract_archived(url, body, DEFAULT_OPTIONS).article
    }
    assert corpus_urls and corpus_urls <= extracted
    limit = archive_limit(located, processes=1)
    assert limit.pages_per_second > 0 and limit.cpu_ms_per_page > 0


def test_a_way_with_settings_of_its_own() -> None:
    assert parse_way("index") == ("index", {})
    assert parse_way("crawl+EXTRACTION_BATCH=1+LOG_LEVEL=INFO") == (
        "crawl",
        {"EXTRACTION_BATCH": "1", "LOG_LEVEL": "INFO"},
    )
    assert describe("index+EXTRACTION_BATCH=1") == "scrapy replay, by the index EXTRACTION_BATCH=1"


@pytest.mark.parametrize(
    ("way", "message"),
    [("indexed", "unknown way 'indexed'"), ("index+BATCH", "'BATCH' is not NAME=VALUE")],
)
def test_a_way_that_is_not_one(way: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_way(way)
