"""Stop a crawl from any component, with the reason the summary turns into an exit code."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro

from scraper import meta
from scraper.exitcodes import WRITE_FAILED

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

#: The reason a component stopped the crawl for, kept should the spider be closing already.
REASON_STAT = "news/stopped_for"
#: The first write that failed, as its one-line message.
WRITE_FAILED_STAT = "news/write_failed"
#: Extraction pools renewed because a worker died (each page it held was extracted again).
POOL_RESTARTS_STAT = "extraction/pool_restarts"
#: Requests a stop dropped from the downloader's slots before they were sent.
NOT_SENT_STAT = "downloader/not_sent_on_stop"


class PageRefused(IgnoreRequest):
    """A page of a source that cannot be kept: a redirect loop or chain past
    ``REDIRECT_MAX_TIMES``, a body past ``DOWNLOAD_MAXSIZE`` once inflated. Counted among its
    source's errors, where requests left out by choice (robots.txt, offsite) are not."""


def stop_crawl(crawler: Crawler, reason: str) -> None:
    """Close the spider with ``reason`` (see :mod:`scraper.exitcodes`); a second call waits for
    the first, whose reason stands."""
    if not crawler.stats.get_value(REASON_STAT):
        crawler.stats.set_value(REASON_STAT, reason)
    try:
        engine = crawler.engine
    except RuntimeError:  # not crawling yet (Scrapy 2.19 raises where it gave None)
        return
    if engine is not None and engine.spider is not None:
        deferred_from_coro(engine.close_spider_async(reason=reason))


def write_failed(crawler: Crawler, error: object, source: str | None) -> None:
    """Count a write that failed (a full disk) against ``source``; the first one stops the crawl.

    ``error`` says which file and why, in one line.
    """
    stats = crawler.stats
    stats.inc_value(f"news/{source or 'unknown'}/errors/write")
    if stats.get_value(WRITE_FAILED_STAT):
        return
    stats.set_value(WRITE_FAILED_STAT, str(error))
    logger.error("Write failed, the crawl stops: %s", error)
    stop_crawl(crawler, WRITE_FAILED)


def in_scheduler(stats: StatsCollector) -> int:
    """Requests Scrapy's scheduler still holds: a run that stops early never reads them."""
    return int(stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0))


def drop_queued(slot: Slot, reason: str, *, keep_robots: bool = False) -> list[Request]:
    """Fail the requests waiting in download ``slot``, none of them sent yet, with IgnoreRequest
    (the crawl stops: their host sees no more); return them. With ``keep_robots``, robots.txt
    requests stay queued: another worker may be waiting for what one finds."""
    waiting = list(slot.queue)
    slot.queue.clear()
    dropped = []
    for request, queued in waiting:
        if keep_robots and request.meta.get(meta.KIND) == "robots":
            slot.queue.append((request, queued))
            continue
        queued.errback(IgnoreRequest(f"Not downloaded {request.url}: {reason}"))
        dropped.append(request)
    return dropped
