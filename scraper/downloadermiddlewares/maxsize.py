"""Cut a response at ``DOWNLOAD_MAXSIZE`` and keep what came, to be archived truncated."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured, StopDownload
from scrapy.http import Request, Response

from scraper import meta

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class MaxSizeMiddleware:
    """Enforce ``DOWNLOAD_MAXSIZE`` in place of Scrapy's download handler.

    The handler drops an oversized response whole; here the download is stopped
    once past the cap and what arrived goes on, flagged ``download_stopped``, so
    WarcMiddleware archives it with ``WARC-Truncated: length``. Decompression
    stays capped at the same size by HttpCompressionMiddleware. Without the
    archive (``WARC_ENABLED`` off) Scrapy's own cut stands.
    """

    def __init__(self, maxsize: int, stats: StatsCollector) -> None:
        self.maxsize = maxsize
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MaxSizeMiddleware:
        if not crawler.settings.getbool("WARC_ENABLED"):
            raise NotConfigured
        middleware = cls(crawler.settings.getint("DOWNLOAD_MAXSIZE"), crawler.stats)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def process_request(self, request: Request) -> None:
        request.meta.pop(meta.WARC_RECEIVED, None)  # redirects and retries copy meta along
        cap = request.meta.get(meta.WARC_MAXSIZE) or request.meta.get(
            meta.DOWNLOAD_MAXSIZE, self.maxsize
        )
        if cap:
            request.meta[meta.WARC_MAXSIZE] = cap
            request.meta[meta.DOWNLOAD_MAXSIZE] = 0  # our bytes_received handler cuts instead

    def bytes_received(self, data: bytes, request: Request) -> None:
        cap = request.meta.get(meta.WARC_MAXSIZE)
        if not cap:
            return
        received = request.meta[meta.WARC_RECEIVED] = request.meta.get(meta.WARC_RECEIVED, 0) + len(
            data
        )
        if received > cap:
            logger.warning(
                "Response of %s cut at %d bytes (DOWNLOAD_MAXSIZE)", request.url, received
            )
            self.stats.inc_value("warc/truncated")
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response:
        # The cap is ours only while downloading: HttpCompressionMiddleware below must
        # see it again, or a gzip bomb would be inflated without limit.
        if meta.WARC_MAXSIZE in request.meta:
            request.meta[meta.DOWNLOAD_MAXSIZE] = request.meta[meta.WARC_MAXSIZE]
        return response
