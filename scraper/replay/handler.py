"""Crawl from the archive: answer http(s) requests with archived responses, never the network.

Turned on by ``REPLAY_ARCHIVE = DIR`` (default ``None``): ``scrapy crawl news``
then re-runs the sources' configuration against what ``DIR`` holds, to test a
change offline. A URL the archive lacks gets a 404 and counts in
``archive_replay/missing``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import run_in_thread

from archive.lookup import CaptureIndex
from scraper import meta
from scraper.archived import archived_response
from scraper.components import turn_off
from scraper.downloadermiddlewares.incremental import IncrementalMiddleware
from scraper.downloadermiddlewares.maxsize import MaxSizeMiddleware
from scraper.downloadermiddlewares.retryafter import RetryAfterMiddleware
from scraper.downloadermiddlewares.warc import WarcMiddleware
from scraper.extensions.crawlstate import CrawlStateExtension

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

HANDLER = f"{__name__}.ArchiveDownloadHandler"


def read_from_archive(settings: BaseSettings) -> None:
    """Set a crawl up to take its responses from ``REPLAY_ARCHIVE``.

    Nothing is archived again, no crawl state is read or written (each run sees
    the whole archive), and no delay or Retry-After is kept. The address guard
    stays, resolving nothing (see AddressGuardMiddleware), so a redirect to
    another scheme is still refused.
    """
    settings.set("DOWNLOAD_HANDLERS", {"http": HANDLER, "https": HANDLER}, priority="spider")
    turn_off(
        settings,
        "DOWNLOADER_MIDDLEWARES",
        IncrementalMiddleware,
        RetryAfterMiddleware,
        WarcMiddleware,
        MaxSizeMiddleware,
    )
    turn_off(settings, "EXTENSIONS", CrawlStateExtension)
    for name, value in (
        ("DOWNLOAD_DELAY", 0),
        ("AUTOTHROTTLE_ENABLED", False),
        ("ROBOTSTXT_CRAWL_DELAY_MAX", 0),
    ):
        settings.set(name, value, priority="spider")


class ArchiveDownloadHandler(BaseDownloadHandler):
    """Look each request's URL up in the CDXJ indexes of ``REPLAY_ARCHIVE``; revisits resolved."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        directory = crawler.settings.get("REPLAY_ARCHIVE")
        if not directory:
            raise NotConfigured("REPLAY_ARCHIVE is not set")
        self.index = CaptureIndex(directory)
        self.missing = 0
        logger.info(
            "Crawling from the archive %s: %d indexed WARC files", directory, self.index.files
        )

    async def download_request(self, request: Request) -> Response:
        page = await run_in_thread(self.index.page, request.url)
        stats = self.crawler.stats
        assert stats is not None
        if page is None:
            self.missing += 1
            stats.inc_value("archive_replay/missing")
            logger.debug("Not in the archive: %s", request.url)
            return Response(request.url, status=404, flags=[meta.ARCHIVE, meta.MISSING])
        stats.inc_value("archive_replay/found")
        return archived_response(
            request.url,
            page.status,
            page.headers,
            page.payload,
            truncated=bool(page.truncated),
            flags=[meta.ARCHIVE],
            protocol="HTTP/1.1",
        )

    async def close(self) -> None:
        self.index.close()
        if self.missing:
            logger.warning(
                "%d requested URL(s) were not in the archive and got a 404 (archive_replay/missing)",
                self.missing,
            )
