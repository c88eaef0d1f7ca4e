"""Archive every HTTP exchange as a WARC response + request record pair."""

from __future__ import annotations

import asyncio
import logging
import platform
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from archive.context import CrawlContext
from archive.http import request_block, response_head
from archive.records import RecordFactory, WarcRecord
from archive.writer import Packed, WarcWriter, WriteFailed, repair_finished_files, repair_open_files
from scraper import meta
from scraper.extensions.crawlstate import crawl_state
from scraper.failures import write_failed
from scraper.paths import archive_dir
from scraper.revisits import RevisitPolicy
from scraper.signals import record_written

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from scraper.state import Capture

logger = logging.getLogger(__name__)

TRUNCATING_FLAGS = {"dataloss": "disconnect", "download_stopped": "length"}


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
    return {
        "software": software,
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "hostname": socket.gethostname(),
        "python": platform.python_version(),
        "http-header-user-agent": settings.get("USER_AGENT"),
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "operator": settings.get("WARC_OPERATOR"),
        "description": (
            "HTTP headers were reconstructed by Scrapy: reason phrases are the standard "
            "ones, header order and case are normalised, bodies are stored de-chunked "
            "(Transfer-Encoding kept as X-Orig-Transfer-Encoding) and still content-encoded."
        ),
    }


@dataclass(frozen=True)
class Exchange:
    """What the records of one response and its request are built from, off the reactor."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    protocol: str
    ip: str | None
    truncated: str | None
    revisit: tuple[str, Capture] | None
    request_url: str
    request_block: bytes
    context: list[tuple[str, str]]


def _header_pairs(headers: object) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():  # type: ignore[attr-defined]
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


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
    """

    def __init__(
        self,
        writer: WarcWriter,
        factory: RecordFactory,
        crawler: Crawler,
        policy: RevisitPolicy,
        threads: int = 0,
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
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self) -> None:
        for path in repair_open_files(self.writer.directory):
            self.stats.inc_value("warc/repaired_files")
            logger.warning("Recovered WARC file left by an earlier crash: %s", path)
        for path in repair_finished_files(self.writer.directory):
            self.stats.inc_value("warc/repaired_files")
            logger.warning("Cut the torn tail of WARC file %s", path)

    def spider_closed(self) -> None:
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
        )
        if self.threads is None:
            packed = self._pack(exchange)
        else:
            packed = await asyncio.wrap_future(self.threads.submit(self._pack, exchange))
        record = packed.records[0]
        try:
            location = self.writer.write_packed(packed)[0]
        except WriteFailed as error:
            write_failed(self.crawler, error, request.meta.get(meta.SOURCE))
            raise IgnoreRequest(f"not archived: {error}") from error
        self.records += 2
        self.stats.inc_value("warc/records", 2)
        if revisit:
            self.stats.inc_value("warc/revisits")
        for _, result in self.crawler.signals.send_catch_log(
            record_written,
            request=request,
            response=response,
            record=record,
            location=location,
            truncated=truncated,
        ):
            if isinstance(result, Failure):  # logged already; it fails the response, as it did
                result.raiseException()
        request.meta[meta.WARC] = location.to_dict()
        request.meta[meta.WARC_DATE] = record.date
        return response

    def _pack(self, exchange: Exchange) -> Packed:
        """Build the response (or revisit) and request records of ``exchange`` and pack them.

        Runs in a ``WARC_THREADS`` thread: the digests and the gzip.
        """
        head = response_head(
            exchange.status, exchange.headers, len(exchange.body), exchange.protocol
        )
        if exchange.revisit:
            profile, original = exchange.revisit
            record = self._revisit(exchange.url, head, profile, original, exchange.ip)
        else:
            record = self.factory.response(
                exchange.url, head, exchange.body, ip=exchange.ip, truncated=exchange.truncated
            )
        sent = self.factory.request(
            exchange.request_url, exchange.request_block, record, exchange.context
        )
        return self.writer.pack([record, sent])

    def _revisit(
        self, url: str, head: bytes, profile: str, original: Capture, ip: str | None
    ) -> WarcRecord:
        return self.factory.revisit(
            url,
            head,
            profile=profile,
            refers_to=original.record_id,
            refers_to_uri=original.record_uri,
            refers_to_date=original.record_date,
            payload_digest=original.payload_digest,
            ip=ip,
        )
