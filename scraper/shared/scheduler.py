"""The scheduler of a shared crawl: scrapy-redis's, with taken requests kept until done."""

from __future__ import annotations

import logging
import time
import warnings
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from corpus.urls import canonicalize
from scraper import meta
from scraper.exitcodes import REDIS_LOST, REDIS_UNREACHABLE
from scraper.extensions.crawlstate import crawl_state
from scraper.failures import WRITE_FAILED_STAT, stop_crawl
from scraper.shared.connection import keys
from scraper.shared.held import HeldRequests
from scraper.shared.offer import Offered, QueueOffer
from scraper.shared.outage import RedisUnreachable, shown
from scraper.shared.settled import item_yielded, output_ended
from scraper.shared.workers import Workers

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from scraper.statestore import CrawlStateStore

logger = logging.getLogger(__name__)

WAKE_INTERVAL = 1.0  # seconds between looks at the shared queue while this worker is idle
LOOKS = 8  # queued requests one call of next_request takes at most, looking for a host with room


@dataclass
class _Scraping:
    """A taken request whose response went to the spider."""

    encoded: bytes  # its queue encoding
    items: int = 0  # items yielded for it that have not left the item pipelines
    ended: bool = False  # the spider's output for it ended


class SharedScheduler(Scheduler):
    """Take requests from the Redis queue that every worker of the crawl shares.

    A request taken from the queue stays recorded under this worker until this
    worker is done with it: its download ended in a failure or in another request
    (a redirect, a retry: queued in Redis by then), or its response went to the
    spider, whose output has ended and whose items have left the item pipelines
    (see :mod:`scraper.shared.settled`): by then the crawl state holds the article's
    outcome. A worker killed mid-crawl loses nothing: another worker (or the next
    one to start) puts back what it held and has no outcome. The spider stays open
    while the queue has requests or another worker holds some, and closes once the
    queue has stayed empty for ``REDIS_IDLE_TIMEOUT`` seconds.

    While Redis does not answer, each command waits for it (:mod:`scraper.shared.outage`);
    once it has stayed away for ``REDIS_OUTAGE_TIMEOUT``, the crawl stops (exit code
    ``UNAVAILABLE``) and what this worker holds goes back to the queue when another
    worker reaps it.
    """

    crawler: Crawler
    workers: Workers
    idle_timeout: float
    state: CrawlStateStore | None
    _idle_since: float | None  # monotonic time the queue was first seen empty, while idle
    _lost: bool  # Redis no longer holds the run this worker joined
    _downloading: dict[Request, bytes]  # taken requests in the downloader -> queue encoding
    _scraping: dict[Request, _Scraping]
    _held: HeldRequests  # taken, waiting for their host to have room
    _heartbeat: task.LoopingCall
    _wake: task.LoopingCall
    _offer: QueueOffer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        settings = crawler.settings
        scheduler.workers = Workers(
            scheduler.server, keys(settings), settings.getfloat("REDIS_WORKER_TIMEOUT")
        )
        shared = scheduler.workers.keys
        scheduler._offer = QueueOffer(scheduler.server, shared.seen, shared.requests, shared.run)
        scheduler.idle_timeout = settings.getfloat("REDIS_IDLE_TIMEOUT")
        scheduler.state = None
        scheduler._idle_since = None
        scheduler._lost = False
        scheduler._downloading = {}
        scheduler._scraping = {}
        scheduler._held = HeldRequests(settings.getint("REDIS_HELD_MAX"))
        scheduler._heartbeat = task.LoopingCall(scheduler._beat)
        scheduler._wake = task.LoopingCall(scheduler._wake_when_work_arrives)
        connect = crawler.signals.connect
        connect(scheduler.response_received, signal=signals.response_received)
        connect(scheduler.item_yielded, signal=item_yielded)
        connect(scheduler.output_ended, signal=output_ended)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            connect(scheduler.item_left, signal=signal)
        connect(scheduler.spider_idle, signal=signals.spider_idle)
        outage = getattr(scheduler.server, "outage", None)  # scrapy-redis's client: PatientRedis
        if outage is not None:
            outage.timeout = settings.getfloat("REDIS_OUTAGE_TIMEOUT")
            outage.listeners.append(scheduler.redis_lost)
        return scheduler

    def redis_lost(self, message: str) -> None:
        """Redis stayed away past ``REDIS_OUTAGE_TIMEOUT``: stop, keeping what is archived."""
        self.stats.inc_value("shared/redis_unreachable")
        logger.error("%s; the crawl stops, what was archived stays archived", message)
        # The writes that fail from now on (state, corpus numbers) are counted, not told again.
        self.stats.set_value(WRITE_FAILED_STAT, message)
        stop_crawl(self.crawler, REDIS_UNREACHABLE)

    def _beat(self) -> None:
        try:
            alive = self.workers.beat()
        except RedisUnreachable:
            return
        if not alive:
            self._run_lost()

    def _run_lost(self) -> None:
        """Redis no longer holds the run this worker joined: stop, writing nothing more there."""
        if self._lost:
            return
        self._lost = True
        self.stats.inc_value("shared/run_lost")
        where = f"Redis at {shown(self.crawler.settings.get('REDIS_URL'))}"
        logger.error(
            "%s no longer holds the shared crawl %s this worker joined: it restarted without "
            "its data, or its keys were deleted. The queue, the seen-set and the crawl state "
            "of the run are gone; the crawl stops, what was archived stays archived. Start "
            "the workers again for a new run",
            where,
            self.workers.keys.prefix,
        )
        # Nothing more goes to that Redis: the next run starts there without this one's rest.
        outage = getattr(self.server, "outage", None)  # a PatientRedis
        if outage is not None:
            outage.give_up(f"{where} lost the shared crawl {self.workers.keys.prefix}", tell=False)
        self.stats.set_value(WRITE_FAILED_STAT, "Redis lost the shared crawl")
        stop_crawl(self.crawler, REDIS_LOST)

    def enqueue_request(self, request: Request) -> bool:
        """Queue ``request`` unless seen before, in one step (:mod:`scraper.shared.offer`)."""
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        try:
            offered = self._offer(
                fingerprint,
                -request.priority,
                self.queue._encode_request(request),
                self.workers.run or "",
            )
        except RedisUnreachable:  # the crawl is stopping; the next run finds the link again
            return False
        if offered is Offered.RUN_LOST:
            self._run_lost()
            return False
        if offered is Offered.SEEN:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def has_pending_requests(self) -> bool:
        if self._held:
            return True
        try:
            return bool(super().has_pending_requests())
        except RedisUnreachable:
            return False

    def open(self, spider: Spider) -> None:
        with warnings.catch_warnings():
            # scrapy-redis says "Resuming crawl" through the deprecated Spider.log(); the line
            # below says it too.
            warnings.filterwarnings("ignore", "Spider.log", ScrapyDeprecationWarning)
            super().open(spider)
        self.state = crawl_state(self.crawler)
        joined = self.workers.join(self.has_outcome)
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
        if joined.requeued:
            self.stats.inc_value("shared/requeued", joined.requeued)

    def close(self, reason: str) -> None:
        for loop in (self._heartbeat, self._wake):
            if loop.running:
                loop.stop()
        self._sweep()
        try:
            unsettled = self.workers.leave(finished=reason == "finished")
        except RedisUnreachable:
            logger.warning(
                "Worker %s left without telling Redis: another worker puts back what it held",
                self.workers.id,
            )
            return
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
        """The first request, held or queued, whose host has room in the downloader
        (:mod:`scraper.shared.held`); looking at up to ``LOOKS`` queued ones, holding those
        whose host has none. With ``REDIS_HELD_MAX`` held, the one held longest goes all the same."""
        self._sweep()
        downloader = self.crawler.engine.downloader
        taken = self._held.ready(downloader)
        for _ in range(0 if taken else LOOKS):
            try:
                encoded = self.workers.take()
            except RedisUnreachable:
                break
            if encoded is None:
                break
            self.stats.inc_value("shared/taken")
            request = self.queue._decode_request(encoded)
            key = downloader.get_slot_key(request)
            if not self._held.backed_up(downloader, key):
                taken = (request, encoded)
                break
            self._held.hold(key, (request, encoded))
            self.stats.inc_value("shared/held")
            if self._held.full:
                break
        if taken is None and self._held.full:
            taken = self._held.oldest()
        if taken is None:
            return None
        request, encoded = taken
        self._downloading[request] = encoded  # the engine hands it to the downloader at once
        return request

    def _sweep(self) -> None:
        """Settle the taken requests that left the downloader without a response for the spider.

        Their failure goes to an errback (which records no outcome for a failed download), or
        the request that replaced them (a redirect, a retry) is in the Redis queue already.
        """
        active = self.crawler.engine.downloader.active if self.crawler.engine else set()
        done = [request for request in self._downloading if request not in active]
        if done:
            self._done(*(self._downloading.pop(request) for request in done))

    def _done(self, *encoded: bytes) -> None:
        with suppress(RedisUnreachable):  # still taken: put back when this worker is reaped
            self.workers.done(*encoded)

    def response_received(self, response: Response, request: Request) -> None:
        encoded = self._downloading.pop(request, None)
        if encoded is not None:
            self._scraping[request] = _Scraping(encoded)

    def item_yielded(self, request: Request) -> None:
        scraping = self._scraping.get(request)
        if scraping is not None:
            scraping.items += 1

    def output_ended(self, request: Request) -> None:
        scraping = self._scraping.get(request)
        if scraping is not None:
            scraping.ended = True
            self._settle_if_done(request, scraping)

    def item_left(self, item: Any, response: Response) -> None:
        """An item left the pipelines (scraped, dropped or failed): its outcome is recorded."""
        request = getattr(response, "request", None)
        scraping = self._scraping.get(request) if request is not None else None
        if request is not None and scraping is not None:
            scraping.items -= 1
            self._settle_if_done(request, scraping)

    def _settle_if_done(self, request: Request, scraping: _Scraping) -> None:
        if scraping.ended and scraping.items <= 0:
            del self._scraping[request]
            self._done(scraping.encoded)

    def has_outcome(self, encoded: bytes) -> bool:
        """Whether the crawl state says what became of the article a queued request asks for.

        A recrawl asks again for an article settled before: it is never taken as done.
        """
        if self.state is None:
            return False
        request = self.queue._decode_request(encoded)
        if request.meta.get(meta.KIND) != "article" or request.meta.get(meta.RECRAWL):
            return False
        asked = request.meta.get(meta.REDIRECT_URLS, [request.url])[0]
        known = self.state.get(canonicalize(asked))
        return bool(known and known.outcome)

    def _wake_when_work_arrives(self) -> None:
        """Settle what left the downloader; ask an idle engine for requests as soon as other
        workers queue some.

        Scrapy looks at an idle spider's scheduler only every 5 seconds; its next-call
        hook is not public API, so without it this falls back to that pace.
        """
        self._sweep()
        engine = self.crawler.engine
        nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
        if nextcall is None or engine.downloader.active:
            return
        with suppress(RedisUnreachable):
            if self._held or len(self.queue):
                nextcall.schedule()

    def spider_idle(self) -> None:
        self._sweep()
        try:
            requeued = self.workers.reap(self.has_outcome)
            busy = bool(len(self.queue)) or self.workers.busy_elsewhere()
        except RedisUnreachable:  # the crawl is stopping
            return
        if requeued:
            self.stats.inc_value("shared/requeued", requeued)
        if busy:
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_timeout:
            raise DontCloseSpider
