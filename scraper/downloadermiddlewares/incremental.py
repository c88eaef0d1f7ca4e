"""Conditional requests from the crawl state, and 304 answers served from the archive."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

from archive.revisits import read_original
from corpus.urls import canonicalize
from scraper import meta
from scraper.archived import archived_response
from scraper.extensions.crawlstate import crawl_state
from scraper.paths import archive_dir
from scraper.state import Capture
from scraper.statestore import CrawlStateStore

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")


class IncrementalMiddleware:
    """Ask only for what changed, and answer a 304 with what was archived.

    A request for a URL the state has validators for gets ``If-None-Match`` /
    ``If-Modified-Since``. When the server answers 304 (archived as a revisit by
    WarcMiddleware, which sits closer to the downloader), the response passed on
    is the archived capture, flagged ``archived``, so a feed or section page
    that did not change is still parsed and links a killed run left unfetched
    are still found. ``meta["unconditional"]`` turns this off for a request.
    """

    def __init__(self, state: CrawlStateStore, archive: Path, stats: StatsCollector) -> None:
        self.state = state
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        state = crawl_state(crawler)
        if state is None:
            raise NotConfigured
        return cls(state, archive_dir(crawler.settings), crawler.stats)

    def process_request(self, request: Request) -> None:
        if request.meta.get(meta.CONDITIONAL_FOR, request.url) != request.url:
            # A redirect copied the validators of the URL it came from.
            for name in CONDITIONAL_HEADERS:
                request.headers.pop(name, None)
            del request.meta[meta.CONDITIONAL_FOR]
        if request.meta.get(meta.UNCONDITIONAL) or any(
            h in request.headers for h in CONDITIONAL_HEADERS
        ):
            return
        known = self.state.get(canonicalize(request.url))
        if known is None or known.capture is None or known.status not in (200, 304):
            return
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        if known.etag or known.last_modified:
            request.meta[meta.CONDITIONAL_FOR] = request.url

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 304 or request.meta.get(meta.CONDITIONAL_FOR) != request.url:
            return response
        known = self.state.get(canonicalize(request.url))
        capture = known.capture if known else None
        archived = self._load(capture) if capture else None
        if archived is None:
            logger.warning(
                "No archived copy of %s to stand for its 304; fetching it again", request.url
            )
            retry = request.replace(dont_filter=True)
            for name in CONDITIONAL_HEADERS:
                retry.headers.pop(name, None)
            retry.meta[meta.UNCONDITIONAL] = True
            retry.meta.pop(meta.CONDITIONAL_FOR, None)
            return retry
        assert capture is not None
        self.stats.inc_value("incremental/not_modified")
        request.meta[meta.WARC] = capture.location.to_dict()
        request.meta[meta.WARC_DATE] = capture.record_date
        return archived.replace(
            url=response.url, request=request, flags=[*response.flags, meta.ARCHIVED]
        )

    def _load(self, capture: Capture) -> Response | None:
        path = self.archive / capture.warc_filename
        try:
            page = read_original(path, capture.warc_offset)
        except (OSError, StopIteration, ValueError) as error:
            logger.warning("Cannot read %s at offset %d: %s", path, capture.warc_offset, error)
            return None
        return archived_response(page.url, page.status, page.headers, page.payload)
