"""Tell the shared scheduler when the spider is done with a taken request's response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.http import Response

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

#: Signal: the spider's output for ``request``'s response yielded an item (not yet through
#: the item pipelines).
item_yielded = object()
#: Signal: the spider's output for ``request``'s response ended (or failed).
output_ended = object()


class SettledMiddleware:
    """The outermost spider middleware of a shared crawl.

    A taken request whose response reached the spider stays taken until the spider's
    output for it has ended and each item it yielded has left the item pipelines: by
    then the crawl state holds the article's outcome, if it has one.

    The requests the spider yields are queued here, as the engine would, before the
    next output is read: Scrapy's scraper reads ahead into a queue of its own and
    schedules them later, so the output could end, and the taken request be settled,
    while links it found were queued nowhere yet; a worker killed then lost them.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SettledMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        try:
            async for output in result:
                if isinstance(output, Request):
                    assert self.crawler.engine is not None
                    self.crawler.engine.crawl(output)
                    continue
                if output is not None:
                    self.crawler.signals.send_catch_log(item_yielded, request=response.request)
                yield output
        finally:
            self.crawler.signals.send_catch_log(output_ended, request=response.request)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self.crawler.signals.send_catch_log(output_ended, request=response.request)
