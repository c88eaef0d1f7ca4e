"""Scrapy's retries, none asked for once the crawl is stopping."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware

from scraper import meta
from scraper.extensions.stopping import closing

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

NOT_RETRIED_STAT = "retry/not_on_stop"


class StopAwareRetryMiddleware(RetryMiddleware):
    """Retry as Scrapy does, except once the crawl is stopping (Ctrl-C, SIGTERM, a
    ``CLOSESPIDER_*`` limit): the failure is then final, counted in ``retry/not_on_stop``.

    A retry of a request the engine downloads itself (robots.txt) is sent at once, even while
    stopping: a host whose robots.txt hung kept a stopped crawl waiting for every try, three
    times ``DOWNLOAD_TIMEOUT`` (90 s). Other retries would only wait in the scheduler.
    """

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status in self.retry_http_codes and stopping(self.crawler, request):
            return response
        return super().process_response(request, response)

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if isinstance(exception, self.exceptions_to_retry) and stopping(self.crawler, request):
            return None
        return super().process_exception(request, exception)


def stopping(crawler: Crawler, request: Request) -> bool:
    """Whether the crawl is stopping, where ``request`` would be retried: it is not, and is
    counted in ``retry/not_on_stop``."""
    engine = crawler.engine  # set: a download is answered
    if engine is None or not closing(engine) or request.meta.get(meta.DONT_RETRY):
        return False
    assert crawler.stats is not None
    crawler.stats.inc_value(NOT_RETRIED_STAT)
    logger.info("Not retrying %s: the crawl is stopping", request)
    return True
