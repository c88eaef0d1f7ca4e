"""Fetch no more article pages than extraction takes in: the crawl's memory stays flat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request

from scraper import meta
from scraper.pipelines import ExtractionPipeline

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

#: Article requests held until the extraction caught up: the crawl was extraction-bound.
HELD_STAT = "extraction/requests_held"


class ExtractionBacklogMiddleware:
    """Hold an article request, before it is sent, while ``EXTRACTION_BACKLOG`` pages per
    extraction process are with the extraction pool (waiting for a worker or extracted).

    A site on a fast link answers many times faster than the pages are extracted, and each
    page fetched waits, body and all, until a worker takes it. A held request keeps its
    place among Scrapy's ``CONCURRENT_REQUESTS``, so nothing else is fetched meanwhile
    either: a listing page would only add articles to wait.
    """

    def __init__(self, crawler: Crawler, backlog: int) -> None:
        self.crawler = crawler
        self.backlog = backlog
        self.extraction: ExtractionPipeline | None = None  # known once the spider opens
        self.holding = 0  # requests waiting for room now: Scrapy counts them as downloads

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionBacklogMiddleware:
        backlog = crawler.settings.getint("EXTRACTION_BACKLOG")
        if backlog <= 0:
            raise NotConfigured("EXTRACTION_BACKLOG is 0: article pages are fetched unheld")
        middleware = cls(crawler, backlog)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self) -> None:
        self.extraction = self.crawler.get_item_pipeline(ExtractionPipeline)

    async def process_request(self, request: Request) -> None:
        if self.extraction is None or request.meta.get(meta.KIND) != "article":
            return
        self.holding += 1
        try:
            waited = await self.extraction.room(self.backlog)
        finally:
            self.holding -= 1
        if waited:
            self.crawler.stats.inc_value(HELD_STAT)
