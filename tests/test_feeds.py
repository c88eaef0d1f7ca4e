"""Scrapy's feed exports (``-o items.jsonl``) write one line per corpus article."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from scraper import exitcodes
from tests.conftest import ServedSite, crawl


def test_a_jsonl_feed_holds_each_stored_article_with_its_corpus_entry(
    news_site: ServedSite, tmp_path: Path
) -> None:
    feed = tmp_path / "items.jsonl"
    result = crawl(
        tmp_path, news_site.site.source_toml(news_site.server.base_url), args=["-o", str(feed)]
    )
    assert result.returncode == exitcodes.OK, result.log
    assert "Traceback" not in result.log
    items = [json.loads(line) for line in feed.read_text().splitlines()]
    manifest = result.manifest()
    assert manifest and len(items) == len(manifest)
    for item, entry in zip(
        sorted(items, key=lambda i: i["id"]), sorted(manifest, key=lambda e: e["id"])
    ):
        assert {k: v for k, v in item.items() if k != "outcome"} == entry
        assert item["outcome"] == "corpus"
        assert "body" not in item and "article" not in item


def test_a_csv_feed_has_a_header_of_corpus_fields(news_site: ServedSite, tmp_path: Path) -> None:
    feed = tmp_path / "items.csv"
    result = crawl(
        tmp_path, news_site.site.source_toml(news_site.server.base_url), args=["-o", str(feed)]
    )
    rows = list(csv.DictReader(feed.open()))
    assert len(rows) == len(result.manifest()), result.log
    assert {"id", "file", "title", "url", "source", "words"} <= set(rows[0])
