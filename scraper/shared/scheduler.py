"""The scheduler of a shared crawl: scrapy-redis's, with taken requests kept until done."""

from __future__ import annotations

import logging
import time
import weakref
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from scraper.shared.connection import keys
from scraper.shared.settled import request_settled
from scraper.shared.workers import Workers

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

WAKE_INTERVAL = 1.0  # seconds between looks at the shared queue while this worker is idle


class SharedScheduler(Scheduler):
    """Take requests from the Redis queue that every worker of the crawl shares.

    A request taken from the queue is recorded under this worker until it leaves
    the downloader or is refused before it (see :mod:`scraper.shared.settled`),
    so a worker killed mid-crawl loses nothing: another worker (or the next one
    to start) puts its requests back. The spider stays open while the queue has
    requests or another worker holds some, and closes once the queue has stayed
    empty for ``REDIS_IDLE_TIMEOUT`` seconds.
    """

    crawler: Crawler
    workers: Workers
    idle_timeout: float
    _idle_since: float | None  # monotonic time the queue was first seen empty, while idle
    _taken: weakref.WeakKeyDictionary[
        Request, bytes
    ]  # requests in progress -> their queue encoding
    _heartbeat: task.LoopingCall
    _wake: task.LoopingCall

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        settings = crawler.settings
        scheduler.workers = Workers(
            scheduler.server, keys(settings), settings.getfloat("REDIS_WORKER_TIMEOUT")
        )
        scheduler.idle_timeout = settings.getfloat("REDIS_IDLE_TIMEOUT")
        scheduler._idle_since = None
        scheduler._taken = weakref.WeakKeyDictionary()
        scheduler._heartbeat = task.LoopingCall(scheduler.workers.beat)
        scheduler._wake = task.LoopingCall(scheduler._wake_when_work_arrives)
        crawler.signals.connect(scheduler.settle, signal=signals.request_left_downloader)
        crawler.signals.connect(scheduler.settle, signal=request_settled)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        super().open(spider)
        joined = self.workers.join()
        self._heartbeat.start(max(1.0, self.workers.timeout / 5), now=False)
        self._wake.start(WAKE_INTERVAL, now=False)
        logger.info(
            "Worker %s joined the shared crawl at %s: %s, %d requests queued, %d put back from gone workers",
            self.workers.id,
            self.workers.keys.prefix,
            "new run" if joined.new_run else "run in progress",
            joined.queued,
            joined.requeued,
        )
        self.stats.set_value("shared/worker", self.workers.id)

    def close(self, reason: str) -> None:
        for loop in (self._heartbeat, self._wake):
            if loop.running:
                loop.stop()
        unsettled = self.workers.leave(finished=reason == "finished")
        self.stats.set_value("shared/unsettled", unsettled)
        if unsettled and reason == "finished":
            logger.warning(
                "Worker %s finished with %d requests still marked as taken",
                self.workers.id,
                unsettled,
            )
        logger.info(
            "Worker %s left the shared crawl (%s, %d requests put back)",
            self.workers.id,
            reason,
            0 if reason == "finished" else unsettled,
        )

    def next_request(self) -> Request | None:
        encoded = self.workers.take()
        if encoded is None:
            return None
        request = self.queue._decode_request(encoded)
        self._taken[request] = encoded
        self.stats.inc_value("shared/taken")
        return request

    def settle(self, request: Request) -> None:
        """The download of ``request`` ended (or it was refused): it is no longer taken."""
        encoded = self._taken.pop(request, None)
        if encoded is not None:
            self.workers.done(encoded)

    def _wake_when_work_arrives(self) -> None:
        """Ask an idle engine for requests as soon as other workers queue some.

        Scrapy looks at an idle spider's scheduler only every 5 seconds; its next-call
        hook is not public API, so without it this falls back to that pace.
        """
        engine = self.crawler.engine
        nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
        if nextcall is not None and not engine.downloader.active and len(self.queue):
            nextcall.schedule()

    def spider_idle(self) -> None:
        requeued = self.workers.reap()
        if requeued:
            self.stats.inc_value("shared/requeued", requeued)
        if len(self.queue) or self.workers.busy_elsewhere():
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_timeout:
            raise DontCloseSpider
