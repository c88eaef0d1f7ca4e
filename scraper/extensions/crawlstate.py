"""Open the crawl state store for the other components and record what became of articles."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

from corpus.urls import canonicalize
from scraper.failures import write_failed
from scraper.items import PageItem
from scraper.paths import data_dir
from scraper.signals import record_written
from scraper.state import Capture, CrawlState, StateWriteFailed

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings

    from archive.records import WarcRecord
    from archive.writer import RecordLocation
    from scraper.shared.state import RedisCrawlState

logger = logging.getLogger(__name__)


def state_path(settings: BaseSettings) -> Path:
    """Return ``CRAWL_STATE_FILE``, by default ``DATA_DIR/state.sqlite``."""
    return Path(settings.get("CRAWL_STATE_FILE") or data_dir(settings) / "state.sqlite")


def open_state(settings: BaseSettings) -> CrawlState | RedisCrawlState:
    """The crawl state: in Redis for a shared crawl (``REDIS_URL``), else the SQLite file."""
    if settings.get("REDIS_URL"):
        from scraper.shared.connection import connect, keys
        from scraper.shared.state import RedisCrawlState

        return RedisCrawlState(connect(settings), keys(settings))
    return CrawlState(state_path(settings))


class CrawlStateExtension:
    """Own the :class:`CrawlState` of a crawl (``CRAWL_STATE_ENABLED``).

    Other components reach it with :func:`crawl_state`. A fetch is stored once
    its WARC record is written (:data:`~scraper.signals.record_written`). When an
    item leaves the pipelines, scraped or dropped, its ``outcome`` is stored for
    the URL it was requested under and for the URL it ended at, so later runs
    skip both.
    """

    def __init__(self, state: CrawlState | RedisCrawlState, crawler: Crawler) -> None:
        self.state = state
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStateExtension:
        if not crawler.settings.getbool("CRAWL_STATE_ENABLED", True):
            raise NotConfigured
        extension = cls(open_state(crawler.settings), crawler)
        crawler.signals.connect(extension.record_written, signal=record_written)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        # engine_stopped comes after every spider_closed handler has used the state.
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def record_written(
        self,
        request: Request,
        response: Response,
        record: WarcRecord,
        location: RecordLocation,
        truncated: str | None,
    ) -> None:
        """Remember the fetch whose records were just written, with its capture if it is one."""
        if truncated:  # a cut body is no capture to compare later answers with, nor to revisit
            return
        capture = None
        if record.header("WARC-Type") != "revisit":
            capture = Capture(
                location.record_id,
                record.date,
                response.url,
                record.header("WARC-Payload-Digest") or "",
                location.filename,
                location.offset,
                location.length,
            )
        try:
            self.state.record_fetch(
                canonicalize(request.url),
                source=request.meta.get("source", ""),
                kind=request.meta.get("kind") or _kind_of(request.url),
                fetched_at=record.date,
                status=response.status,
                etag=_header(response, b"ETag"),
                last_modified=_header(response, b"Last-Modified"),
                capture=capture,
            )
        except StateWriteFailed as error:  # archived all the same: the next run fetches it again
            write_failed(self.crawler, error, request.meta.get("source"))

    def _record(self, item: Any) -> None:
        if not isinstance(item, PageItem) or not item.outcome:
            return
        try:
            for url in {item.requested_url or item.url, canonicalize(item.url)}:
                self.state.record_outcome(url, item.outcome, item.corpus_id)
        except StateWriteFailed as error:
            write_failed(self.crawler, error, item.source)

    def item_scraped(self, item: Any) -> None:
        self._record(item)

    def item_dropped(self, item: Any) -> None:
        self._record(item)

    def engine_stopped(self) -> None:
        self.state.close()


def crawl_state(crawler: Crawler) -> CrawlState | RedisCrawlState | None:
    """Return the crawl's state store, or None when ``CRAWL_STATE_ENABLED`` is off."""
    extension = crawler.get_extension(CrawlStateExtension)
    return extension.state if extension else None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _kind_of(url: str) -> str:
    return "robots" if urlsplit(url).path == "/robots.txt" else "other"
