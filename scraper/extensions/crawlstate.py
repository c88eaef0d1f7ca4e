"""Open the crawl state store for the other components and record what became of articles."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler

from archive.records import TRUNCATED_DISCONNECT
from corpus.urls import canonicalize
from scraper import meta
from scraper.failures import write_failed
from scraper.items import PageItem
from scraper.signals import article_settled, record_written
from scraper.state import Capture, StateWriteFailed
from scraper.statestore import CrawlStateStore, store_class

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

    from archive.records import WarcRecord
    from archive.writer import RecordLocation
logger = logging.getLogger(__name__)


class CrawlStateExtension:
    """Own the crawl state store of a crawl (``CRAWL_STATE_ENABLED``, ``CRAWL_STATE_STORE``).

    Other components read it through :func:`crawl_state`; it alone writes it. A
    fetch is stored once its WARC record is written (:data:`~scraper.signals.record_written`).
    An article's ``outcome`` is stored when the spider settles it
    (:data:`~scraper.signals.article_settled`), or when its item leaves the pipelines,
    scraped or dropped, for the URL it was requested under and for the URL it ended at,
    so later runs skip both.
    """

    def __init__(self, state: CrawlStateStore, crawler: Crawler) -> None:
        self.state = state
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStateExtension:
        if not crawler.settings.getbool("CRAWL_STATE_ENABLED"):
            raise NotConfigured
        extension = cls(build_from_crawler(store_class(crawler.settings), crawler), crawler)
        crawler.signals.connect(extension.record_written, signal=record_written)
        crawler.signals.connect(extension.article_settled, signal=article_settled)
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
        """Remember the fetch whose records were just written, with its capture if it is one.

        A body cut at ``DOWNLOAD_MAXSIZE`` is remembered without a capture (it is none to compare
        later answers with, nor to revisit), so its article can be settled; one whose connection
        broke off is not remembered at all: the next run asks for it again.
        """
        if truncated == TRUNCATED_DISCONNECT:
            return
        capture = None
        if not truncated and record.header("WARC-Type") != "revisit":
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
                source=request.meta.get(meta.SOURCE, ""),
                kind=request.meta.get(meta.KIND) or _kind_of(request.url),
                fetched_at=record.date,
                status=response.status,
                etag=_header(response, b"ETag"),
                last_modified=_header(response, b"Last-Modified"),
                capture=capture,
            )
        except StateWriteFailed as error:  # archived all the same: the next run fetches it again
            write_failed(self.crawler, error, request.meta.get(meta.SOURCE))

    def article_settled(self, url: str, outcome: str, source: str | None) -> None:
        """Remember the outcome of an article the spider settled without an item."""
        try:
            self.state.record_outcome(url, outcome)
        except StateWriteFailed as error:
            write_failed(self.crawler, error, source)

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


def crawl_state(crawler: Crawler) -> CrawlStateStore | None:
    """Return the crawl's state store, or None when ``CRAWL_STATE_ENABLED`` is off."""
    extension = crawler.get_extension(CrawlStateExtension)
    return extension.state if extension else None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _kind_of(url: str) -> str:
    return "robots" if urlsplit(url).path == "/robots.txt" else "other"
