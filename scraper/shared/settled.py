"""Tell the shared scheduler when the spider is done with a taken request's response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.http import Response

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.signalmanager import SignalManager

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
    """

    def __init__(self, signals: SignalManager) -> None:
        self.signals = signals

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SettledMiddleware:
        return cls(crawler.signals)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        try:
            async for output in result:
                if output is not None and not isinstance(output, Request):
                    self.signals.send_catch_log(item_yielded, request=response.request)
                yield output
        finally:
            self.signals.send_catch_log(output_ended, request=response.request)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self.signals.send_catch_log(output_ended, request=response.request)
