"""Honour a robots.txt ``Crawl-delay``: its host's download slot waits that long between requests.

A host whose robots.txt gives our User-Agent a ``Crawl-delay`` of D seconds gets a download
slot of its own kind: one request at a time (concurrency 1), started at least
``max(D, DOWNLOAD_DELAY)`` seconds after the one before, without jitter (which would draw
shorter gaps), and AutoThrottle leaves its delay alone (its ``autothrottle_dont_adjust_delay``
meta key), since it would lower it again. The slot keeps this if Scrapy drops it while idle
(it is in the downloader's ``DOWNLOAD_SLOTS``) and, in a shared crawl, every worker agrees on it
(:class:`scraper.shared.downloader.SharedSlotsDownloader` publishes a slot's delay).

A delay longer than ``ROBOTSTXT_CRAWL_DELAY_MAX`` is cut to it, with a warning; 0 turns the
whole thing off (as a crawl from the archive does: it has no host to spare).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from scrapy.utils.httpobj import urlparse_cached

from scraper import meta

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class CrawlDelays:
    """The ``Crawl-delay`` of each host seen this run, applied to its download slot."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("ROBOTSTXT_CRAWL_DELAY_MAX")
        self.download_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self._hosts: dict[str, float] = {}  # netloc -> seconds kept (0: no Crawl-delay)

    def seconds(self, netloc: str) -> float:
        """The delay kept between requests to ``netloc`` (``host:port``); 0 if none (yet)."""
        return self._hosts.get(netloc) or 0.0

    def apply(self, parser: RobotParser, useragent: str | bytes, request: Request) -> None:
        """Hold ``request``'s host to the ``Crawl-delay`` ``parser`` gives ``useragent``."""
        if self.max_delay <= 0:
            return
        netloc = urlparse_cached(request).netloc
        seconds = self._hosts.get(netloc)
        if seconds is None:
            seconds = self._hosts[netloc] = self._read(parser, useragent, netloc)
            if seconds:
                self._set_slot(request, seconds)
        if seconds:
            request.meta[meta.AUTOTHROTTLE_DONT_ADJUST_DELAY] = True

    def _read(self, parser: RobotParser, useragent: str | bytes, netloc: str) -> float:
        asked = parser.crawl_delay(useragent)
        if asked is None or math.isnan(asked) or asked <= 0:
            return 0.0
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("robotstxt/crawl_delay")
        seconds = max(min(asked, self.max_delay), self.download_delay)
        if asked > self.max_delay:
            stats.inc_value("robotstxt/crawl_delay_cut")
            logger.warning(
                "robots.txt of %s asks a Crawl-delay of %g s, more than ROBOTSTXT_CRAWL_DELAY_MAX "
                "(%g s): one request at a time, %g s apart",
                netloc,
                asked,
                self.max_delay,
                seconds,
            )
        else:
            logger.info(
                "robots.txt of %s asks a Crawl-delay of %g s: one request at a time, %g s apart",
                netloc,
                asked,
                seconds,
            )
        return seconds

    def _set_slot(self, request: Request, seconds: float) -> None:
        assert self.crawler.engine is not None
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        configured = downloader.per_slot_settings.get(key, {})
        delay = max(seconds, float(configured.get("delay", 0)))
        downloader.per_slot_settings[key] = {
            **configured,
            "delay": delay,
            "concurrency": 1,
            "jitter": 0.0,
        }
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = delay
            slot.concurrency = 1
            slot.jitter = 0.0
        hold_delay = getattr(downloader, "hold_delay", None)  # a shared crawl: for every worker
        if hold_delay is not None:
            hold_delay(key)
