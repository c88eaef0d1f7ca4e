"""Item pipelines: extract in a process pool, judge, then store in the corpus."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import Spider, signals
from scrapy.exceptions import DropItem

from corpus.article import Article
from corpus.options import ExtractionOptions
from corpus.simhash import CANONICAL_MAX_DISTANCE, distance
from corpus.store import CorpusStore
from corpus.urls import canonicalize
from corpus.worker import extract_for_corpus
from scraper.articles import DUPLICATE, UNCHANGED
from scraper.crawlsources import Sources
from scraper.failures import POOL_RESTARTS_STAT, write_failed
from scraper.fromarchive import Extracted, extract_archived
from scraper.items import PageItem
from scraper.judge import Judge
from scraper.ordering import YieldOrder
from scraper.paths import corpus_dir
from scraper.signals import article_filtered
from scraper.workerpool import EXTRACTION, RenewingPool

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

T = TypeVar("T")

MIB = 1024 * 1024
#: Extraction pools replaced because a worker grew past ``EXTRACTION_WORKER_GROWTH_MB``.
WORKERS_REPLACED_STAT = "extraction/workers_replaced"


class ExtractionPipeline:
    """Run trafilatura in a pool of ``EXTRACTION_PROCESSES`` processes, off the reactor.

    A worker that dies (the OOM killer, a crash) breaks the pool: a new pool is
    started and every item the old one held is extracted once more; an item that
    fails a second time is counted as an error of its source and left for the next
    run. The pool's processes ignore SIGINT and SIGTERM, so a stop signal sent to
    the whole process group lets the crawl finish what was extracted, and they die
    with the crawl (:mod:`corpus.lifeline`). The pool closes once every archiving it was
    given to :meth:`hold` is done.
    """

    def __init__(
        self, crawler: Crawler, processes: int, batch: int = 1, max_growth_mb: int = 0
    ) -> None:
        self.crawler = crawler
        self.sources = Sources.from_crawler(crawler)
        self.processes = max(1, processes)
        self.batch = batch
        self.max_growth_mb = max_growth_mb
        self.pool: RenewingPool | None = None
        self.archiving: set[asyncio.Future[Any]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        settings = crawler.settings
        return cls(
            crawler,
            settings.getint("EXTRACTION_PROCESSES"),
            settings.getint("EXTRACTION_BATCH"),
            settings.getint("EXTRACTION_WORKER_GROWTH_MB"),
        )

    def open_spider(self, spider: Spider | None = None) -> None:
        self.pool = RenewingPool(
            self.processes,
            EXTRACTION,
            renewed=self._renewed,
            batch=self.batch,
            max_growth=self.max_growth_mb * MIB,
            replaced=self._replaced,
        )
        self.pool.start()

    async def close_spider(self, spider: Spider | None = None) -> None:
        if self.archiving:  # responses whose records are still with a worker, with no item
            await asyncio.wait(self.archiving)
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    async def room(self, per_process: int) -> bool:
        """Wait until fewer than ``per_process`` pages per process are with the pool (waiting
        for a worker or being extracted); whether it waited."""
        return self.pool is not None and await self.pool.room(per_process * self.processes)

    def hold(self, archiving: asyncio.Future[Any]) -> None:
        """Keep the pool open until ``archiving`` (a task that uses it) is done."""
        self.archiving.add(archiving)
        archiving.add_done_callback(self.archiving.discard)

    async def process_item(self, item: PageItem) -> PageItem:
        assert self.pool is not None
        options = self.sources[item.source].extraction_options()
        try:
            item.article = await self._extract(item, options)
        except BrokenProcessPool:
            try:
                item.article = await self._extract(item, options)
            except BrokenProcessPool as error:
                self.crawler.stats.inc_value(f"news/{item.source}/errors/extraction")
                logger.error(
                    "Extraction of %s failed: a worker died under it twice (%s); the next run tries again",
                    item.url,
                    error,
                )
                raise DropItem(f"extraction failed: {item.url}", log_level="DEBUG") from error
        except DropItem:  # unfit or undecodable, counted already
            raise
        except (
            Exception
        ) as error:  # a page the extractor cannot take fails the same way every run: settle it
            item.outcome = "filtered:extraction_failed"
            self.crawler.stats.inc_value(f"news/{item.source}/errors/extraction")
            logger.error(
                "Extraction of %s failed: %s: %s", item.url, type(error).__name__, str(error)[:200]
            )
            raise DropItem(f"extraction failed: {item.url}", log_level="DEBUG") from error
        return item

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker of the pool; a :class:`BrokenProcessPool` (a worker
        died under it or another) is raised once the broken pool is discarded."""
        if self.pool is None:
            raise RuntimeError("the extraction pool is not running")
        return await self.pool.run(function, *args)

    async def _extract(self, item: PageItem, options: ExtractionOptions) -> Article | None:
        if item.prefetched is not None:
            archived = await item.prefetched
            if archived.warc is None:  # counted and logged as a write failure already
                raise DropItem(f"{archived.failure}: {item.url}", log_level="DEBUG")
            item.warc = archived.warc
            if archived.extraction is not None:
                return archived.extraction.result()
        if item.archived is None:
            return await self.run(extract_for_corpus, item.body, item.url, item.encoding, options)
        extracted = await self.run(extract_archived, item.url, item.archived, options)
        return self._archived_outcome(item, extracted)

    def _archived_outcome(self, item: PageItem, extracted: Extracted) -> Article | None:
        """The article of an item the worker read from the archive; dropped, counted as the
        replay spider counts them, when it was unfit or undecodable."""
        stats = self.crawler.stats
        assert stats is not None and item.archived is not None
        if extracted.undecodable:
            logger.warning(
                "Cannot decode %s (%s at offset %s): %s",
                item.url,
                item.warc.get("filename"),
                item.warc.get("offset"),
                extracted.undecodable,
            )
            stats.inc_value(f"news/{item.source}/errors")
            raise DropItem(f"undecodable: {item.url}", log_level="DEBUG")
        if extracted.unfit:
            stats.inc_value(f"news/{item.source}/filtered/{extracted.unfit}")
            self.crawler.signals.send_catch_log(
                article_filtered, source=item.source, reason=extracted.unfit, url=item.url
            )
            raise DropItem(f"{extracted.unfit}: {item.url}", log_level="DEBUG")
        return extracted.article

    def _renewed(self) -> None:
        self.crawler.stats.inc_value(POOL_RESTARTS_STAT)
        logger.warning(
            "An extraction worker died; started a new pool and extracting its items again"
        )

    def _replaced(self, grown: int) -> None:
        self.crawler.stats.inc_value(WORKERS_REPLACED_STAT)
        logger.info(
            "An extraction worker grew by %d MiB since its first pages (EXTRACTION_WORKER_GROWTH_MB "
            "is %d): new workers take the next pages, the old ones finish theirs and exit",
            grown // MIB,
            self.max_growth_mb,
        )


class FilterPipeline:
    """Drop what is not an on-topic article, counting each reason per source."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.judge = Judge.from_settings(crawler.settings)
        self.sources = Sources.from_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FilterPipeline:
        return cls(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        reason = self.judge.reason(item.article, self.sources[item.source])
        if reason:
            item.outcome = f"filtered:{reason}"
            self.stats.inc_value(f"news/{item.source}/filtered/{reason}")
            self.crawler.signals.send_catch_log(
                article_filtered, source=item.source, reason=reason, url=item.url
            )
            raise DropItem(f"{reason}: {item.url}", log_level="DEBUG")
        return item


class CorpusPipeline:
    """Write accepted articles to ``CORPUS_DIR`` with their WARC provenance.

    An article already in the corpus (same canonical URL, or a nearly identical
    body by SimHash) is not written again: the URL of the copy is added to the
    kept article's ``duplicates``. A page re-fetched for ``recrawl_after_days``
    whose text changed is rewritten and the manifest gets its new version.
    Items are stored in the order the spider yielded them (``PageItem.sequence``),
    not in the order their extraction finished.
    """

    def __init__(self, store: CorpusStore, stats: StatsCollector) -> None:
        self.store = store
        self.stats = stats
        self.order = YieldOrder()
        self.crawler: Crawler | None = None
        self.unwritable = ""  # why the corpus could not be opened (a full disk), if it could not

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        numbers = None
        if crawler.settings.get("REDIS_URL"):
            from scraper.shared.connection import connect, keys
            from scraper.shared.numbers import SharedNumbers

            numbers = SharedNumbers(
                connect(crawler.settings), keys(crawler.settings).corpus_numbers
            )
        pipeline = cls(CorpusStore(corpus_dir(crawler.settings), numbers), crawler.stats)
        pipeline.crawler = crawler
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(pipeline.item_finished, signal=signal)
        return pipeline

    def item_finished(self, item: Any) -> None:
        if isinstance(item, PageItem):
            self.order.finish(item.sequence)

    def open_spider(self, spider: Spider | None = None) -> None:
        try:
            self.store.open()
        except (OSError, sqlite3.OperationalError) as error:  # the disk filled since the check
            self.unwritable = self._failure(error)
            if self.crawler is not None:
                write_failed(self.crawler, self.unwritable, None)

    def close_spider(self, spider: Spider | None = None) -> None:
        self.store.close()

    async def process_item(self, item: PageItem) -> PageItem:
        if item.sequence is not None:
            await self.order.wait_for_turn(item.sequence)
        try:
            if self.unwritable:
                raise OSError(self.unwritable)
            with self.store.transaction():  # other crawlers may share the corpus folder
                copy = self._store(item)
        except (OSError, sqlite3.OperationalError) as error:  # a full disk, under files or index
            item.outcome = None  # not settled: the next run extracts it again
            failure = self.unwritable or self._failure(error)
            if self.crawler is not None:
                write_failed(self.crawler, failure, item.source)
            raise DropItem(f"not written: {item.url}: {failure}", log_level="DEBUG") from error
        if copy is not None:  # dropped once the transaction committed the copy's manifest line
            raise DropItem(copy, log_level="DEBUG")
        return item

    def _failure(self, error: OSError | sqlite3.OperationalError) -> str:
        """Which file of the corpus could not be written, and why, in one line."""
        if isinstance(error, OSError):
            return f"{error.filename or self.store.directory}: {error.strerror or error}"
        return f"{self.store.directory}: the corpus index: {error}"

    def _store(self, item: PageItem) -> str | None:
        """Store ``item``'s article; what to drop it with when it is a copy, else ``None``."""
        article = item.article
        assert article is not None
        fields = {"source": item.source, "fetched_at": item.fetched_at, "warc": item.warc}
        existing = self.store.entry_for(article.canonical_url)
        if existing is not None and not _same_article(existing, item, article):
            article = self._own_canonical(item, article, existing)
            existing = self.store.entry_for(article.canonical_url)
        item.outcome = "corpus"
        if existing is None and not item.recrawl:
            existing = self.store.near_duplicate(article)
            if existing is not None:
                return self._drop_copy(item, existing, "near-duplicate")
        if existing is None:
            entry = self.store.add(article, **fields)
            self.stats.inc_value(f"news/{item.source}/written")
        elif item.recrawl and existing["sha1"] != hashlib.sha1(article.text().encode()).hexdigest():
            entry = self.store.update(existing["id"], article, **fields)
            self.stats.inc_value(f"news/{item.source}/updated")
        else:
            return self._drop_copy(item, existing, UNCHANGED if item.recrawl else DUPLICATE)
        item.corpus_id = entry["id"]
        item.entry = entry
        logger.debug("Stored %s as %s (version %d)", item.url, entry["file"], entry["version"])
        return None

    def _own_canonical(self, item: PageItem, article: Article, named: dict[str, Any]) -> Article:
        """``article`` under its own URL: its canonical link names stored article ``named``, whose
        text is another (a site that names its homepage as every article's canonical)."""
        self.stats.inc_value(f"news/{item.source}/canonical_ignored")
        logger.info(
            "%s names %s as its canonical URL, corpus article %s, whose text is another: "
            "stored under its own URL",
            item.url,
            article.canonical_url,
            named["id"],
        )
        item.article = dataclasses.replace(article, canonical_url=canonicalize(article.url))
        return item.article

    def _drop_copy(self, item: PageItem, kept: dict[str, Any], reason: str) -> str:
        """Leave out a copy of corpus article ``kept``, noting its URL on it unless it is a recrawl;
        return the message to drop it with."""
        item.corpus_id = kept["id"]
        if reason != "unchanged":
            self.store.add_duplicate(kept["id"], item.url)
        self.stats.inc_value(f"news/{item.source}/filtered/{reason}")
        if self.crawler is not None:
            self.crawler.signals.send_catch_log(
                article_filtered, source=item.source, reason=reason, url=item.url
            )
        return f"{reason}: {item.url} is corpus article {kept['id']}"


def _same_article(entry: dict[str, Any], item: PageItem, article: Article) -> bool:
    """Whether stored ``entry`` is ``article``: the same page, or a text close to it."""
    pages = {canonicalize(article.url), item.requested_url}
    if canonicalize(entry["url"]) in pages:
        return True
    stored = int(entry.get("simhash") or "0", 16)
    return distance(stored, article.fingerprint()) <= CANONICAL_MAX_DISTANCE
