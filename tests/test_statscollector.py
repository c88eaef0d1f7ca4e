"""The crawl's stats collector: Scrapy's counters, read without its per-access wrapper."""

from __future__ import annotations

from scrapy import Spider
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from scraper.statscollector import PlainStatsCollector
from sitefixture.settings import project_settings


def test_the_crawl_counts_with_plain_methods() -> None:
    stats = get_crawler(Spider, project_settings()).stats
    assert isinstance(stats, PlainStatsCollector)
    # Scrapy's collector hands out a wrapper around each public method, made per collector.
    assert stats.inc_value.__func__ is MemoryStatsCollector.inc_value  # type: ignore[attr-defined]


def test_it_counts_as_scrapys_does() -> None:
    stats = get_crawler(Spider, project_settings()).stats
    assert stats is not None
    stats.inc_value("news/a/discovered")
    stats.inc_value("news/a/discovered", 2)
    stats.max_value("depth", 3)
    stats.max_value("depth", 1)
    stats.set_value("start", "now")
    assert stats.get_value("news/a/discovered") == 3
    assert stats.get_stats() == {"news/a/discovered": 3, "depth": 3, "start": "now"}
