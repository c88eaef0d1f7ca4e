"""The ``replay`` spider: archived responses, in archive order, become the crawl's items again.

It schedules no request at all (so it opens no connection): every article
response of the WARC files is made a :class:`PageItem` by the same
:class:`~scraper.articles.ArticleItems` as in the live crawl, and the same pipelines judge
and store it. Responses are decoded as the crawl decodes them (:mod:`scraper.downloadermiddlewares.compression`). A WARC
file with a fresh CDXJ index is walked by it, payloads unread: each item then carries
where its payload is, and the extraction worker reads, decodes and checks it
(:mod:`scraper.fromarchive`), so the pool's processes share that work. The archive
is read only as fast as the pipelines take its items, so memory does not grow with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider, signals
from scrapy.http import Response

from archive.capture import ArchivedPage
from archive.pages import iter_pages
from archive.reader import archive_files
from corpus.urls import canonicalize
from scraper.archived import archived_response
from scraper.articles import UNCHANGED, ArticleItems
from scraper.components import turn_off
from scraper.crawlsources import Sources
from scraper.downloadermiddlewares.compression import IsalHttpCompressionMiddleware
from scraper.downloadermiddlewares.incremental import IncrementalMiddleware
from scraper.downloadermiddlewares.maxsize import MaxSizeMiddleware
from scraper.downloadermiddlewares.warc import WarcMiddleware
from scraper.extensions.crawlstate import CrawlStateExtension
from scraper.extensions.report import ReportExtension
from scraper.extensions.summary import count_response
from scraper.fromarchive import ArchivedBody
from scraper.items import PageItem
from scraper.replay.inflight import ItemsInFlight
from scraper.sources import Source

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000  # log a progress line after this many archived responses
# Items on their way through the pipelines, per extraction process, before the archive is
# read further: enough to keep the workers fed while the corpus waits for a slow page
# (it is written in archive order), few enough that memory does not grow with the archive.
IN_FLIGHT_PER_PROCESS = 64
CLOSING_RECHECK_SECONDS = 0.05  # while a stopping replay waits for its last items


#: Downloader middlewares of a live fetch that have nothing to do on pages read from the archive.
FETCHING_ONLY = (IncrementalMiddleware, WarcMiddleware, MaxSizeMiddleware)


class ReplaySpider(Spider):
    """Turn the archive at ``archive`` back into corpus items; ``source=NAME[,NAME]`` picks sources."""

    name = "replay"
    articles: ArticleItems  # made in from_crawler

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        turn_off(settings, "DOWNLOADER_MIDDLEWARES", *FETCHING_ONLY)
        # The report describes the live crawl: its runs and its corpus, not a replay's.
        turn_off(settings, "EXTENSIONS", CrawlStateExtension, ReportExtension)

    def __init__(
        self, *args: Any, archive: str | Path, source: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.archive = Path(archive)
        self.source_names = source
        self.sources = Sources()
        self.decoder: IsalHttpCompressionMiddleware | None = None
        self.in_flight = ItemsInFlight(IN_FLIGHT_PER_PROCESS)
        self._rechecking = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReplaySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.sources = Sources.from_crawler(crawler, spider.source_names)
        spider.articles = ArticleItems(crawler)
        processes = max(1, crawler.settings.getint("EXTRACTION_PROCESSES"))
        spider.in_flight = ItemsInFlight(IN_FLIGHT_PER_PROCESS * processes)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_finished, signal=signal)
        return spider

    def item_finished(self) -> None:
        """An item is through the pipelines: count it out, and see whether a stop waits for it."""
        self.in_flight.finished()
        if not self._rechecking:
            self._rechecking = True
            asyncio.get_running_loop().call_soon(self._recheck_closing)

    def _recheck_closing(self) -> None:
        """Let a stopping replay close once its last item is through.

        Scrapy (2.19) looks whether a closing spider's scraper is idle after each response,
        never after an item of ``start()``: a Ctrl-C while the pipelines held items waited
        forever (scrapy/scrapy#7029). This looks for it, until the scraper is idle.
        """
        self._rechecking = False
        engine = self.crawler.engine
        slot = engine.scraper.slot if engine is not None else None
        if slot is None or slot.closing is None or slot.closing.called:
            return  # not stopping: the spider closes once idle, as usual
        if slot.is_idle():
            slot.closing.callback(self)
        else:  # the item is counted out of the scraper only after its signal
            self._rechecking = True
            asyncio.get_running_loop().call_later(CLOSING_RECHECK_SECONDS, self._recheck_closing)

    async def start(self) -> AsyncIterator[PageItem]:
        self.decoder = IsalHttpCompressionMiddleware.from_crawler(self.crawler)
        files = archive_files(self.archive)
        read = 0
        for number, page in enumerate(iter_pages(files, payloads=False), 1):
            read = number
            item = self.item_for(page)
            if item is not None:
                await self.in_flight.room()
                self.in_flight.taken()
                yield item
            if number % PROGRESS_EVERY == 0:
                logger.info(
                    "Replay: %d archived responses read, %d pages sent to extraction",
                    number,
                    self._sent(),
                )
        logger.info(
            "Replay: read %d archived responses from %d WARC files; %d pages sent to extraction, "
            "%d of them read from the archive by the extraction workers",
            read,
            len(files),
            self._sent(),
            self.crawler.stats.get_value("replay/pages_read_by_workers", 0),
        )
        # Scrapy looks for the end of a spider with no requests on a 5-second heartbeat;
        # ending start() once the last item is through lets it close the spider at once.
        await self.in_flight.drained()

    def _sent(self) -> int:
        return self.crawler.stats.get_value("replay/pages", 0)

    def _stat(self, source: Source, key: str) -> None:
        self.crawler.stats.inc_value(f"news/{source.name}/{key}")

    def source_of(self, page: ArchivedPage) -> Source | None:
        """The page's source: the one its request record names, else the configured site it is on."""
        if page.context.source:
            return self.sources.get(page.context.source)
        return self.sources.for_url(page.url)

    def item_for(self, page: ArchivedPage) -> PageItem | None:
        """The item the live crawl made of this response, or ``None`` where it made none."""
        source = self.source_of(page)
        if source is None:
            self.crawler.stats.inc_value("replay/no_source")
            return None
        count_response(self.crawler.stats, source.name, page.status, page.url)  # as live
        if page.context.kind not in (None, "article"):
            return None
        if page.context.recrawl and page.status == 304:
            self.articles.filtered(source, UNCHANGED, page.url)
            return None
        if page.status != 200:
            return None
        if self.settled(page):
            self._stat(source, "known")
            return None
        if page.payload_at is not None:
            return self._archived_item(page, source)
        try:
            response = self.response_of(page)
        except Exception as error:  # noqa: BLE001 - one undecodable record must not end the replay
            logger.warning(
                "Cannot decode %s (%s at offset %s): %s",
                page.url,
                page.location["filename"],
                page.location["offset"],
                error,
            )
            self._stat(source, "errors")
            return None
        problem = self.articles.unfit(response)
        if problem:
            self.articles.filtered(source, problem, page.url)
            return None
        self.crawler.stats.inc_value("replay/pages")
        return self.articles.item(
            response,
            source,
            fetched_at=page.date,
            warc=dict(page.location),
            requested_url=canonicalize(page.url),
            recrawl=page.context.recrawl,
        )

    def _archived_item(self, page: ArchivedPage, source: Source) -> PageItem:
        """The item of a page whose payload the extraction worker reads (and checks) itself."""
        assert page.payload_at is not None
        self.crawler.stats.inc_value("replay/pages")
        self.crawler.stats.inc_value("replay/pages_read_by_workers")
        settings = self.crawler.settings
        return self.articles.archived_item(
            page.url,
            source,
            ArchivedBody(
                page.status,
                page.headers,
                *page.payload_at,
                truncated=bool(page.truncated),
                max_size=settings.getint("DOWNLOAD_MAXSIZE"),
                warn_size=settings.getint("DOWNLOAD_WARNSIZE"),
            ),
            fetched_at=page.date,
            warc=dict(page.location),
            requested_url=canonicalize(page.url),
            recrawl=page.context.recrawl,
        )

    def settled(self, page: ArchivedPage) -> bool:
        """Whether an archived article is left alone; a replay into a new corpus judges all."""
        return False

    def response_of(self, page: ArchivedPage) -> Response:
        """A Scrapy response as the live crawl's spider saw it: decoded, of the right class."""
        request = Request(page.url)
        response = archived_response(
            page.url,
            page.status,
            page.headers,
            page.payload,
            truncated=bool(page.truncated),
            request=request,
        )
        assert self.decoder is not None
        decoded = self.decoder.process_response(request, response)
        assert isinstance(decoded, Response)
        return decoded
