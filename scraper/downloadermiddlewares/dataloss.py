"""Ask again for a response whose connection broke mid-body, once what arrived is archived."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Request, Response

from scraper import meta
from scraper.downloadermiddlewares.retry import stopping

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class DataLossRetryMiddleware:
    """Retry responses flagged ``dataloss``, up to ``RETRY_TIMES``.

    With ``DOWNLOAD_FAIL_ON_DATALOSS = False`` (this project's default) Scrapy
    hands on the part of a body that arrived before the connection broke, and
    WarcMiddleware, above this one, archives it with ``WARC-Truncated:
    disconnect``: nothing received is lost. Here the page is asked for again;
    when the retries are used up, or the crawl is stopping, the cut response
    goes on to the spider, which does not extract it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DataLossRetryMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if meta.DATALOSS not in response.flags or request.meta.get(meta.DONT_RETRY):
            return response
        if stopping(self.crawler, request):
            return response
        assert self.crawler.spider is not None  # set before the first request
        retry = get_retry_request(request, spider=self.crawler.spider, reason="dataloss")
        return retry or response
