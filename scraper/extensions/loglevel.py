"""Log records that no handler takes are not made at all."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def raise_root_level() -> int | None:
    """Set the root logger's level to the lowest level of its handlers, if all have one;
    return the level set, or ``None`` when a handler takes every record (or there is none)."""
    root = logging.getLogger()
    levels = [handler.level for handler in root.handlers]
    if not levels or logging.NOTSET in levels:
        return None
    lowest = min(levels)
    if lowest <= root.level:
        return None
    root.setLevel(lowest)
    return lowest


class SkipUnlogged:
    """Raise the root logger to ``LOG_LEVEL`` when the engine starts, as its handlers are.

    Scrapy leaves the root logger at NOTSET and filters in its handlers, so every DEBUG
    line of a crawl at INFO (three per article page: Scrapy's "Crawled" and "Scraped
    from", our "Stored") is made a record, offered to each handler and thrown away, at
    6 us each on the reactor thread. A handler without a level (a test's log capture, say)
    keeps every record coming. Not earlier than the engine's start: Scrapy sets the root
    logger back to NOTSET after it has built the extensions.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipUnlogged:
        extension = cls()
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        raise_root_level()
