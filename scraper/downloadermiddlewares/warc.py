"""Archive every HTTP exchange as a WARC response + request record pair."""

from __future__ import annotations

import asyncio
import logging
import platform
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Request, Response, TextResponse
from scrapy.responsetypes import responsetypes
from twisted.python.failure import Failure

from archive.context import CrawlContext
from archive.exchange import Exchange
from archive.http import request_block
from archive.records import TRUNCATED_DISCONNECT, TRUNCATED_LENGTH, RecordFactory, warc_date
from archive.writer import Packed, WarcWriter, WriteFailed, repair_finished_files, repair_open_files
from corpus.options import ExtractionOptions
from corpus.worker import Undecoded, archive_and_extract
from scraper import meta
from scraper.crawlsources import Sources
from scraper.extensions.crawlstate import crawl_state
from scraper.failures import write_failed
from scraper.items import (
    MAX_EXTRACTED_BYTES,
    PREFETCHED,
    ArchivedArticle,
    Prefetched,
    declared_encoding,
    unfit_for_extraction,
)
from scraper.packers import Packers
from scraper.paths import archive_dir
from scraper.pipelines import ExtractionPipeline
from scraper.revisits import RevisitPolicy
from scraper.signals import record_written

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

TRUNCATING_FLAGS = {meta.DATALOSS: TRUNCATED_DISCONNECT, meta.DOWNLOAD_STOPPED: TRUNCATED_LENGTH}
#: Bodies from this size on are packed by ``WARC_PROCESSES``: below it, handing one to a
#: worker costs the crawl process more than its digests and gzip.
PROCESS_BYTES = 64 * 1024


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def warcinfo_fields(crawler: Crawler) -> dict[str, str]:
    """Describe the crawl in the warcinfo record that opens every file."""
    settings = crawler.settings
    software = ", ".join(
        f"{name}/{_version(name)}" for name in ("news-archiver", "scrapy", "twisted", "trafilatura")
    )
    operator = settings.get("WARC_OPERATOR")
    return {
        "software": software,
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "hostname": socket.gethostname(),
        "python": platform.python_version(),
        "http-header-user-agent": settings.get("USER_AGENT"),
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        **({"operator": operator} if operator else {}),
        "description": (
            "HTTP headers were reconstructed by Scrapy: reason phrases are the standard "
            "ones, header order and case are normalised, bodies are stored de-chunked "
            "(Twisted consumes Transfer-Encoding: a chunked response is stored without it) "
            "and still content-encoded."
        ),
    }


@dataclass(frozen=True)
class ExtractionJob:
    """What an extraction worker needs, beside the exchange, to extract an article response:
    the source's options, the encoding the response declares, and, for a gzip-encoded body
    (``gzip_limit`` not 0), the most it may inflate to (the worker reads its encoding)."""

    options: ExtractionOptions
    encoding: str | None
    gzip_limit: int = 0


def _inflates_to_html(response: Response) -> bool:
    """Whether Scrapy makes an HTML response of this gzip-encoded one (a plain ``Response``
    until HttpCompressionMiddleware inflates it)."""
    kind = response.headers.get(b"Content-Type")
    return (
        kind is not None
        and b"html" in kind
        and issubclass(responsetypes.from_content_type(kind), TextResponse)
    )


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Each header line as (name, value): read from the dict Scrapy keeps them in, names
    normalised and values lists of bytes, without ``Headers.items()`` copying every list."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in dict.items(headers)
        for value in values
    ]


class WarcMiddleware:
    """Write each response, as received, and its request to the WARC archive.

    Sits above HttpCompressionMiddleware, so bodies are stored still encoded,
    and above RedirectMiddleware, so redirects are archived too. The location
    of the response record goes into ``request.meta[meta.WARC]``.

    Whether a response is written as a ``revisit`` is for the
    :class:`~scraper.revisits.RevisitPolicy` to say (a 304, or a 200 whose payload
    equals the URL's last capture); a 304 revisit carries the payload digest of
    the capture it stands for, so pywb can match the two. Once a record is
    written, :data:`~scraper.signals.record_written` tells the crawl state.
    A response cut by MaxSizeMiddleware is written with ``WARC-Truncated``.

    With ``WARC_PACK_WITH_EXTRACTION``, an article the spider extracts is packed by the
    extraction worker that extracts it (and inflates it first, when it came gzip-encoded):
    the response goes on at once, its records are written when that worker is done, and its
    item waits for them (``PREFETCHED``).
    """

    def __init__(
        self,
        writer: WarcWriter,
        factory: RecordFactory,
        crawler: Crawler,
        policy: RevisitPolicy,
        threads: int = 0,
        processes: int = 0,
    ) -> None:
        self.writer = writer
        self.factory = factory
        self.crawler = crawler
        self.stats = crawler.stats
        self.policy = policy
        self.records = 0
        self.threads = (
            ThreadPoolExecutor(threads, thread_name_prefix="warc") if threads > 0 else None
        )
        self.sources = Sources.from_crawler(crawler)
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.extraction: ExtractionPipeline | None = None  # known once the spider opens
        # With WARC_PACK_WITH_EXTRACTION, article records are written, and article responses
        # passed on, in the order they came, as a replay numbers them: the last of each.
        self._article_written: asyncio.Future[Any] | None = None
        self._article_returned: asyncio.Future[Any] | None = None
        self.packers = (
            Packers(processes, writer.engine, writer.compresslevel, crawler.stats)
            if processes > 0
            else None
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured
        factory = RecordFactory()
        writer = WarcWriter(
            archive_dir(settings),
            prefix=settings.get("WARC_PREFIX"),
            max_size=settings.getint("WARC_MAX_SIZE"),
            factory=factory,
            info=warcinfo_fields(crawler),
            compresslevel=settings.getint("WARC_GZIP_LEVEL"),
            engine=settings.get("WARC_GZIP_ENGINE"),
        )
        middleware = cls(
            writer,
            factory,
            crawler,
            RevisitPolicy(crawl_state(crawler)),
            settings.getint("WARC_THREADS"),
            settings.getint("WARC_PROCESSES"),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self) -> None:
        if self.crawler.settings.getbool("WARC_PACK_WITH_EXTRACTION"):
            self.extraction = self.crawler.get_item_pipeline(ExtractionPipeline)
        if self.packers is not None:
            self.packers.start()
        for path in repair_open_files(self.writer.directory):
            self.stats.inc_value("warc/repaired_files")
            logger.warning("Recovered WARC file left by an earlier crash: %s", path)
        for path in repair_finished_files(self.writer.directory):
            self.stats.inc_value("warc/repaired_files")
            logger.warning("Cut the torn tail of WARC file %s", path)

    def spider_closed(self) -> None:
        if self.packers is not None:
            self.packers.close()
        if self.threads is not None:
            self.threads.shutdown(wait=True)
        try:
            self.writer.close()
        except WriteFailed as error:
            logger.error("WARC write failed: %s", error)
        logger.info(
            "WARC: %d records written to %d file(s) in %s",
            self.records,
            len(self.writer.finished),
            self.writer.directory,
        )

    async def process_response(self, request: Request, response: Response) -> Response:
        truncated = next(
            (reason for flag, reason in TRUNCATING_FLAGS.items() if flag in response.flags), None
        )
        revisit = self.policy.revisit_of(request, response, truncated)
        exchange = Exchange(
            url=response.url,
            status=response.status,
            headers=_header_pairs(response.headers),
            body=response.body,
            protocol=response.protocol or "HTTP/1.1",
            ip=str(response.ip_address) if response.ip_address else None,
            truncated=truncated,
            revisit=revisit,
            request_url=request.url,
            request_block=request_block(
                request.method, request.url, _header_pairs(request.headers), request.body
            ),
            context=CrawlContext(
                request.meta.get(meta.SOURCE),
                request.meta.get(meta.KIND),
                bool(request.meta.get(meta.RECRAWL)),
            ).fields(),
            date=warc_date(self.factory.clock()),
            response_id=self.factory.new_id(),
            request_id=self.factory.new_id(),
        )
        request.meta[meta.WARC_DATE] = exchange.date
        if self.extraction is None or request.meta.get(meta.KIND) != "article":
            return await self._archive(exchange, request, response)
        loop = asyncio.get_running_loop()
        after_write, after_return = self._article_written, self._article_returned
        self._article_returned = returned = loop.create_future()
        try:
            job = self._extraction_job(exchange, request, response)
            if job is not None:
                archiving = asyncio.ensure_future(
                    self._archive_with_extraction(exchange, request, response, job, after_write)
                )
                self._article_written = archiving
                self.extraction.hold(archiving)
                PREFETCHED[request] = archiving
            else:
                self._article_written = written = loop.create_future()
                try:
                    response = await self._archive(exchange, request, response, after_write)
                finally:
                    written.set_result(None)
            if after_return is not None and not after_return.done():
                await after_return
            return response
        finally:
            returned.set_result(None)

    async def _archive(
        self,
        exchange: Exchange,
        request: Request,
        response: Response,
        after: asyncio.Future[Any] | None = None,
    ) -> Response:
        """Pack the records of ``exchange`` here and write them once ``after`` is done."""
        packed = await self._packed(exchange)
        failure = await self._write_after(after, packed, exchange, request, response)
        if failure:
            raise IgnoreRequest(failure)
        return response

    async def _write_after(
        self,
        after: asyncio.Future[Any] | None,
        packed: Packed,
        exchange: Exchange,
        request: Request,
        response: Response,
    ) -> str:
        """Write ``packed`` once ``after`` is done; why it could not be ("": it was)."""
        if after is not None and not after.done():
            await asyncio.wait({after})
        try:
            self._write(packed, exchange, request, response)
        except WriteFailed as error:
            write_failed(self.crawler, error, request.meta.get(meta.SOURCE))
            return f"not archived: {error}"
        return ""

    def _write(
        self, packed: Packed, exchange: Exchange, request: Request, response: Response
    ) -> None:
        """Write the records of ``packed`` and tell :data:`~scraper.signals.record_written`;
        raise what one of its receivers raised (it is logged already)."""
        record = packed.records[0]
        location = self.writer.write_packed(packed)[0]
        self.records += 2
        self.stats.inc_value("warc/records", 2)
        if exchange.revisit:
            self.stats.inc_value("warc/revisits")
        request.meta[meta.WARC] = location.to_dict()
        for _, result in self.crawler.signals.send_catch_log(
            record_written,
            request=request,
            response=response,
            record=record,
            location=location,
            truncated=exchange.truncated,
        ):
            if isinstance(result, Failure):  # logged already; it fails the response, as it did
                result.raiseException()

    def _extraction_job(
        self, exchange: Exchange, request: Request, response: Response
    ) -> ExtractionJob | None:
        """What an extraction worker needs to archive and extract an article response the
        spider extracts; ``None`` for one it does not, or whose coding only Scrapy decodes.

        Read now: the middlewares below change the response's headers as it goes on.
        """
        gzip_limit = self._gzip_limit(request, response)
        if (
            response.status != 200
            or exchange.revisit
            or exchange.truncated
            or gzip_limit is None
            or (not _inflates_to_html(response) if gzip_limit else unfit_for_extraction(response))
            or request.meta.get(meta.SOURCE) not in self.sources
        ):
            return None
        return ExtractionJob(
            self.sources[request.meta[meta.SOURCE]].extraction_options(),
            None if gzip_limit else declared_encoding(response),
            gzip_limit,
        )

    def _gzip_limit(self, request: Request, response: Response) -> int | None:
        """0 for a body sent as it is; for a gzip-encoded one, the most the worker inflates
        (past what Scrapy's HttpCompressionMiddleware allows, the spider gets no response;
        past ``MAX_EXTRACTED_BYTES``, nothing is extracted); ``None`` for another coding, which
        only the spider's decoding reads."""
        codings = response.headers.getlist(b"Content-Encoding")
        if not codings:
            return 0
        named = [coding.strip().lower() for coding in b",".join(codings).split(b",")]
        if request.method == "HEAD" or named not in ([b"gzip"], [b"x-gzip"]):
            return None
        max_size = request.meta.get(meta.DOWNLOAD_MAXSIZE, self.max_size)
        return min(max_size, MAX_EXTRACTED_BYTES) if max_size else MAX_EXTRACTED_BYTES

    async def _archive_with_extraction(
        self,
        exchange: Exchange,
        request: Request,
        response: Response,
        job: ExtractionJob,
        after: asyncio.Future[Any] | None,
    ) -> ArchivedArticle:
        """Archive an article response by the extraction worker that extracts it, while the
        download goes on, its records written once ``after`` is done; when no worker could,
        pack them here and leave the extraction to the pipeline."""
        assert self.extraction is not None
        extraction = None
        try:
            packed, article, error = await self.extraction.run(
                archive_and_extract,
                exchange,
                self.writer.warcinfo_id,
                self.writer.engine,
                self.writer.compresslevel,
                job.encoding,
                job.options,
                job.gzip_limit,
            )
        except BrokenProcessPool:  # the pipeline has a new pool: it extracts the item itself
            packed = await self._packed(exchange)
        except Exception as failure:  # noqa: BLE001 - a result that could not come back, a pool shut down
            logger.warning("Archived %s in the crawl process: %s", response.url, failure)
            packed = await self._packed(exchange)
        else:
            if not isinstance(error, Undecoded):  # else the pipeline extracts the spider's body
                extraction = Prefetched(article, error)
            packed = packed.with_payload(exchange.payload)
            self.stats.inc_value("warc/packed_with_extraction")
        try:
            unwritten = await self._write_after(after, packed, exchange, request, response)
        except Exception as error:  # noqa: BLE001 - a record_written receiver's, logged already
            unwritten = f"not recorded: {error}"
        if unwritten:
            return ArchivedArticle(None, None, unwritten)
        return ArchivedArticle(request.meta[meta.WARC], extraction)

    async def _packed(self, exchange: Exchange) -> Packed:
        """The records of ``exchange``, packed by a worker process (a big body), a thread, or here."""
        if self.packers is not None and len(exchange.payload) >= PROCESS_BYTES:
            packed = await self.packers.pack(exchange, self.writer.warcinfo_id)
            if packed is not None:
                return packed
        if self.threads is None:
            return self._pack(exchange)
        return await asyncio.wrap_future(self.threads.submit(self._pack, exchange))

    def _pack(self, exchange: Exchange) -> Packed:
        """Build the response (or revisit) and request records of ``exchange`` and pack them.

        Runs in a ``WARC_THREADS`` thread: the digests and the gzip.
        """
        return self.writer.pack(exchange.records(self.factory))
