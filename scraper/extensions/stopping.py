"""A graceful stop sends nothing new, and says what it waits for, so nobody presses Ctrl-C
again blindly."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from twisted.internet.task import LoopingCall

from scraper.downloadermiddlewares.backlog import ExtractionBacklogMiddleware
from scraper.failures import NOT_SENT_STAT, drop_queued, in_scheduler

if TYPE_CHECKING:
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 0.5  # seconds between looks at whether a stop was asked for


def closing(engine: ExecutionEngine) -> bool:
    """Whether the engine is closing the spider: Ctrl-C, SIGTERM, a CLOSESPIDER_* limit, a
    failed write. Reads the engine's private slot (checked against Scrapy 2.19): Scrapy sends
    no signal before the spider is closed, which is after every download it waits for."""
    slot = getattr(engine, "_slot", None)
    return not engine.running or (slot is not None and slot.closing is not None)


class StopReport:
    """Once the crawl is stopping, drop the requests still waiting in a download slot and log
    the downloads and pages the stop waits for.

    Scrapy's graceful stop waits for every request the downloader holds, sent or not: behind a
    robots.txt Crawl-delay of 60 s, 16 queued requests kept a stopped crawl fetching for 16
    minutes. Dropped requests are counted (``downloader/not_sent_on_stop``, in the summary's
    "not made") and asked for again by the next run. Requests that reach a slot later (held
    for extraction room, or for robots.txt) are dropped at the next look.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.watch = LoopingCall(self.check)
        self.told = False

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
        if engine is None or not closing(engine):
            return
        dropped = self._drop_queued(engine)
        if not self.told:
            self.told = self._tell(engine, dropped)

    def _drop_queued(self, engine: ExecutionEngine) -> int:
        dropped = sum(
            len(drop_queued(slot, "the crawl is stopping", keep_robots=True))
            for slot in list(engine.downloader.slots.values())
        )
        if dropped:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(NOT_SENT_STAT, dropped)
        return dropped

    def _tell(self, engine: ExecutionEngine, dropped: int) -> bool:
        """Log what the stop waits for; nothing, and False, if it waits for nothing (a crawl
        that finished closes the same way)."""
        backlog = self.crawler.get_downloader_middleware(ExtractionBacklogMiddleware)
        held = backlog.holding if backlog is not None else 0
        downloads = sum(len(slot.transferring) for slot in engine.downloader.slots.values())
        slot = engine.scraper.slot
        # Responses being scraped, or items in the pipelines: a replay's come from start(),
        # with no response, and a crawl's article response counts in both.
        pages = max(len(slot.active), slot.itemproc_size) if slot is not None else 0
        stats = self.crawler.stats
        assert stats is not None
        dropped += in_scheduler(stats)
        if not (dropped or downloads or held or pages):
            return False
        logger.info(
            "Stopping: %d queued request(s) not sent (the next run asks for them); waiting for "
            "%d download(s) in progress, %d article request(s) held until extraction has room, "
            "and %d page(s) in extraction and storage to finish; then the WARC file is closed and "
            "the summary logged. Ctrl-C again forces a stop (exit code 130; the next run repairs "
            "the WARC file).",
            dropped,
            downloads,
            held,
            pages,
        )
        return True
