"""Say what a graceful stop (Ctrl-C, SIGTERM) waits for, so nobody presses Ctrl-C again blindly."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from twisted.internet.task import LoopingCall

from scraper.downloadermiddlewares.backlog import ExtractionBacklogMiddleware

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 0.5  # seconds between looks at whether a stop was asked for


class StopReport:
    """Once a stop is asked for while the crawl runs, log the downloads and pages it waits for."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.watch = LoopingCall(self.check)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopReport:
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        self.watch.start(CHECK_INTERVAL, now=False)

    def engine_stopped(self) -> None:
        if self.watch.running:
            self.watch.stop()

    def check(self) -> None:
        engine = self.crawler.engine
        if self.crawler.crawling or engine is None:
            return
        self.watch.stop()
        backlog = self.crawler.get_downloader_middleware(ExtractionBacklogMiddleware)
        held = backlog.holding if backlog is not None else 0
        downloads = len(engine.downloader.active) - held
        slot = engine.scraper.slot
        # Responses being scraped, or items in the pipelines: a replay's come from start(),
        # with no response, and a crawl's article response counts in both.
        pages = max(len(slot.active), slot.itemproc_size) if slot is not None else 0
        logger.info(
            "Stopping: waiting for %d download(s) in progress, %d article request(s) held until "
            "extraction has room, and %d page(s) in extraction and storage to finish; then the WARC "
            "file is closed and the summary logged. Ctrl-C again forces a stop (exit code 130; the "
            "next run repairs the WARC file).",
            downloads,
            held,
            pages,
        )
