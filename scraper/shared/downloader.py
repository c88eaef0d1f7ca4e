"""Scrapy's downloader, with each host's delay and concurrency held across all workers in Redis."""

from __future__ import annotations

import logging
import random
from time import monotonic
from typing import TYPE_CHECKING, Any, cast

from redis import RedisError
from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

from scraper import meta
from scraper.failures import drop_queued
from scraper.shared.connection import connect, keys
from scraper.shared.politeness import SharedSlots
from scraper.shared.workers import this_worker

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: Seconds between looks at a host whose in-flight limit other workers fill.
FULL_POLL = 0.05
#: A lease outlives the download timeout by this much: a live worker always releases it first.
LEASE_MARGIN = 30.0


class _ReleasingHandlers:
    """The download handlers, giving a request's lease back the moment its download ends,
    before Scrapy looks at the slot's queue again."""

    def __init__(self, handlers: Any, release: Any) -> None:
        self._handlers = handlers
        self._release = release

    async def download_request_async(self, request: Request) -> Response:
        try:
            return await self._handlers.download_request_async(request)
        finally:
            self._release(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handlers, name)


class SharedSlotsDownloader(Downloader):
    """N workers of a shared crawl reach each host as one polite crawler.

    Where Scrapy's downloader decides, from its own slot, whether the next request to a host
    may start (``DOWNLOAD_DELAY`` with its jitter, ``CONCURRENT_REQUESTS_PER_DOMAIN`` or the
    slot's concurrency, AutoThrottle's delay), this one asks Redis (:class:`SharedSlots`), so
    the delay runs between the starts of all workers and the concurrency counts all their
    requests in flight. AutoThrottle keeps adjusting the local slot's delay from this worker's
    latencies; each change is published and the others adopt it. A Retry-After pause
    (:meth:`pause_slot`) holds every worker. While Redis does not answer, each call waits for it
    (:mod:`scraper.shared.outage`). A Redis error that is not an outage makes the worker decide
    alone, as Scrapy does, with an error in the log and ``shared/politeness_alone``; once an
    outage is given up on, the crawl stops and the requests still queued here are not
    downloaded (IgnoreRequest, counted in ``shared/not_downloaded`` and as errors of their
    source).

    This overrides ``Downloader._process_queue``, which is not public API: checked against
    Scrapy 2.19, the floor in pyproject.toml.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.shared = SharedSlots(connect(settings), keys(settings).prefix, this_worker())
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self._leases: dict[Request, tuple[str, str]] = {}  # request -> (slot key, token)
        self._agreed: dict[str, float] = {}  # slot key -> the delay last agreed on with Redis
        self._full: set[str] = set()  # slots waiting for other workers' requests to end
        self._held: set[str] = set()  # slots whose delay a robots.txt Crawl-delay holds
        self._redis_down = False
        self.handlers = cast("Any", _ReleasingHandlers(self.handlers, self._release))

    def _release(self, request: Request) -> None:
        lease = self._leases.pop(request, None)
        if lease is None:
            return
        try:
            self.shared.release(*lease)
        except RedisError as error:
            self._alone(error)  # the lease ends on its own
        key = lease[0]
        slot = self.slots.get(key)
        if key in self._full and slot is not None and slot.latercall:
            # Scrapy looks at the slot's queue next: no need to wait for the poll.
            self._full.discard(key)
            slot.close()

    def _alone(self, error: RedisError) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("shared/politeness_alone")
        if not self._redis_down and self._given_up() is None:  # a give-up is told once, elsewhere
            logger.error(
                "Redis (REDIS_URL) cannot be reached for the shared politeness (%s): "
                "each host's delay and concurrency hold for this worker alone until it answers",
                error,
            )
        self._redis_down = True

    def pause_slot(self, key: str, seconds: float) -> None:
        """No worker starts a request to slot ``key`` for ``seconds`` (a Retry-After)."""
        try:
            self.shared.pause(key, seconds)
        except RedisError as error:
            self._alone(error)

    def hold_delay(self, key: str) -> None:
        """Slot ``key``'s delay is a robots.txt Crawl-delay: published at each start, so a worker
        that joins with the delay agreed before it (AutoThrottle's) does not start sooner."""
        self._held.add(key)

    def _given_up(self) -> str | None:
        """The message of the Redis outage this crawl gave up on, or None."""
        outage = getattr(self.shared.server, "outage", None)  # a PatientRedis
        return outage.gave_up if outage is not None else None

    def _drop_queue(self, slot: Slot, reason: str) -> None:
        """Fail every request still queued in ``slot``: the crawl stops, the host sees no more."""
        stats = self.crawler.stats
        for request in drop_queued(slot, reason):
            if stats is not None:
                stats.inc_value("shared/not_downloaded")
                source = request.meta.get(meta.SOURCE)
                if source:  # lost to this run: an error of its source in the summary
                    stats.inc_value(f"news/{source}/errors/not_downloaded")

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall or not slot.queue:
            return
        gave_up = self._given_up()
        if gave_up is not None:
            self._drop_queue(slot, gave_up)
            return
        key: str = slot.queue[0][0].meta[self.DOWNLOAD_SLOT]
        self._full.discard(key)
        while slot.queue and slot.free_transfer_slots() > 0:
            request = slot.queue[0][0]
            agreed = self._agreed.get(key)
            try:
                turn, token = self.shared.take(
                    key,
                    slot.delay,
                    publish=key in self._held or (agreed is not None and slot.delay != agreed),
                    jitter_factor=1 + random.uniform(-slot.jitter, slot.jitter),
                    concurrency=slot.concurrency,
                    lease=float(request.meta.get(meta.DOWNLOAD_TIMEOUT, self.timeout))
                    + LEASE_MARGIN,
                )
            except RedisError as error:
                gave_up = self._given_up()
                if gave_up is not None:
                    self._drop_queue(slot, gave_up)
                    return
                self._alone(error)
                super()._process_queue(slot)
                return
            self._redis_down = False
            slot.delay = self._agreed[key] = turn.delay
            if not turn.granted:
                if not turn.wait:
                    self._full.add(key)
                slot.latercall = call_later(turn.wait or FULL_POLL, self._latercall, slot)
                return
            slot.lastseen = monotonic()
            request, queued = slot.queue.popleft()
            self._leases[request] = (key, token)
            _schedule_coro(self._wait_for_download(slot, request, queued))
            if turn.delay and slot.queue:
                # No other start before the shortest delay the jitter can draw: ask only then.
                soonest = turn.delay * max(0.0, 1 - slot.jitter)
                slot.latercall = call_later(soonest, self._latercall, slot)
                return
