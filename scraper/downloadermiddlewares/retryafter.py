"""Honour ``Retry-After`` on 429 and 503 answers: the host waits before it is asked again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import TYPE_CHECKING

from scrapy.http import Request, Response

from scraper import meta

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

PAUSING_STATUSES = (429, 503)
#: Scrapy skips its wait-since-last-request check for a slot without delay.
MIN_SLOT_DELAY = 0.001


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` value (delta-seconds or HTTP-date); ``None`` if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Pause the host's downloader slot for the ``Retry-After`` of a 429 or 503.

    Sits just above Scrapy's RetryMiddleware (550): the retry it schedules, and
    every other request to that host, waits until the pause is over; other hosts
    go on. In a shared crawl every worker waits (``SharedSlotsDownloader.pause_slot``). A wait longer than ``RETRY_AFTER_MAX`` seconds (default 600) is not
    honoured: that request is not retried, with a warning and a stat.
    """

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, crawler.settings.getfloat("RETRY_AFTER_MAX"))

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in PAUSING_STATUSES:
            return response
        header = response.headers.get(b"Retry-After")
        wait = retry_after_seconds(header.decode("latin-1") if header else None)
        if wait is None:
            return response
        stats = self.crawler.stats
        assert stats is not None
        if wait > self.max_wait:
            logger.warning(
                "%s answered %d asking to wait %.0f s (Retry-After), more than RETRY_AFTER_MAX (%.0f s): not retried",
                request.url,
                response.status,
                wait,
                self.max_wait,
            )
            stats.inc_value("retry_after/too_long")
            request.meta[meta.DONT_RETRY] = True
            return response
        key = self._pause(request, wait)
        logger.info(
            "%s answered %d: pausing %s for %.1f s (Retry-After)",
            request.url,
            response.status,
            key,
            wait,
        )
        stats.inc_value("retry_after/paused")
        return response

    def _pause(self, request: Request, wait: float) -> str:
        assert self.crawler.engine is not None
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, MIN_SLOT_DELAY)
            slot.lastseen = max(
                slot.lastseen, monotonic() + wait
            )  # the slot waits delay past lastseen
        shared_pause = getattr(downloader, "pause_slot", None)  # a shared crawl: every worker waits
        if shared_pause is not None:
            shared_pause(key, wait)
        return key
