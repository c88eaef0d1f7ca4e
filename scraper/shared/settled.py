"""Tell the shared scheduler about taken requests that end without leaving the downloader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.http import Response

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.signalmanager import SignalManager

#: Signal: ``request`` has an outcome; the worker no longer holds it.
request_settled = object()


class SettledMiddleware:
    """The outermost downloader middleware of a shared crawl.

    A request refused before any download (robots.txt, the address guard, the
    offsite filter) or answered by a middleware never sends ``request_left_downloader``;
    everything that comes back out through here is settled.
    """

    def __init__(self, signals: SignalManager) -> None:
        self.signals = signals

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SettledMiddleware:
        return cls(crawler.signals)

    def process_response(self, request: Request, response: Response) -> Response:
        self.signals.send_catch_log(request_settled, request=request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.signals.send_catch_log(request_settled, request=request)
