"""Archive every HTTP exchange as a WARC response + request record pair."""

from __future__ import annotations

import logging
import platform
import socket
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Request, Response

from archive.context import CrawlContext
from archive.digest import sha1_digest
from archive.http import request_block, response_block
from archive.records import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED, RecordFactory, WarcRecord
from archive.writer import WarcWriter, WriteFailed, repair_finished_files, repair_open_files
from corpus.urls import canonicalize
from scraper.extensions.crawlstate import crawl_state
from scraper.failures import write_failed
from scraper.paths import archive_dir
from scraper.state import Capture, CrawlState, StateWriteFailed

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

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
        "http-header-user-agent": settings.get("USER_AGENT", ""),
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "operator": settings.get("WARC_OPERATOR", ""),
        "description": (
            "HTTP headers were reconstructed by Scrapy: reason phrases are the standard "
            "ones, header order and case are normalised, bodies are stored de-chunked "
            "(Transfer-Encoding kept as X-Orig-Transfer-Encoding) and still content-encoded."
        ),
    }


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
    of the response record goes into ``request.meta["warc"]``.

    With a crawl state, a 304 answer becomes a ``revisit`` record with the
    server-not-modified profile, and a 200 whose payload equals the URL's last
    capture a ``revisit`` with the identical-payload-digest profile. A 304 revisit
    carries the payload digest of the capture it stands for, so pywb can match
    the two. The state learns of a fetch only after its record is written.

    It also enforces ``DOWNLOAD_MAXSIZE`` in place of Scrapy's download handler,
    which drops an oversized response whole: here the first ``DOWNLOAD_MAXSIZE``
    bytes are kept and archived with ``WARC-Truncated: length``. Decompression
    stays capped at the same size by HttpCompressionMiddleware.
    """

    def __init__(
        self,
        writer: WarcWriter,
        factory: RecordFactory,
        stats: StatsCollector,
        maxsize: int = 0,
        state: CrawlState | None = None,
    ) -> None:
        self.writer = writer
        self.factory = factory
        self.stats = stats
        self.maxsize = maxsize
        self.state = state
        self.records = 0
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED", True):
            raise NotConfigured
        factory = RecordFactory()
        writer = WarcWriter(
            archive_dir(settings),
            prefix=settings.get("WARC_PREFIX", "news"),
            max_size=settings.getint("WARC_MAX_SIZE", 1_000_000_000),
            factory=factory,
            info=warcinfo_fields(crawler),
            compresslevel=settings.getint("WARC_GZIP_LEVEL", 6),
        )
        middleware = cls(
            writer,
            factory,
            crawler.stats,
            settings.getint("DOWNLOAD_MAXSIZE"),
            crawl_state(crawler),
        )
        middleware.crawler = crawler
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
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

    def process_request(self, request: Request) -> None:
        request.meta.pop("warc_received", None)  # redirects and retries copy meta along
        cap = request.meta.get("warc_maxsize") or request.meta.get("download_maxsize", self.maxsize)
        if cap:
            request.meta["warc_maxsize"] = cap
            request.meta["download_maxsize"] = 0  # our bytes_received handler cuts instead

    def bytes_received(self, data: bytes, request: Request) -> None:
        cap = request.meta.get("warc_maxsize")
        if not cap:
            return
        received = request.meta["warc_received"] = request.meta.get("warc_received", 0) + len(data)
        if received > cap:
            logger.warning(
                "Response of %s cut at %d bytes (DOWNLOAD_MAXSIZE)", request.url, received
            )
            self.stats.inc_value("warc/truncated")
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response:
        # The cap is ours only while downloading: HttpCompressionMiddleware below must
        # see it again, or a gzip bomb would be inflated without limit.
        if "warc_maxsize" in request.meta:
            request.meta["download_maxsize"] = request.meta["warc_maxsize"]
        truncated = next(
            (reason for flag, reason in TRUNCATING_FLAGS.items() if flag in response.flags), None
        )
        block, payload_offset = response_block(
            response.status,
            _header_pairs(response.headers),
            response.body,
            response.protocol or "HTTP/1.1",
        )
        ip = str(response.ip_address) if response.ip_address else None
        key = canonicalize(request.url)
        known = self.state.get(key) if self.state else None
        original = known.capture if known else None
        head = block[:payload_offset]
        if original and response.status == 304:
            record = self._revisit(response.url, head, PROFILE_NOT_MODIFIED, original, ip)
        elif (
            original
            and response.status == 200
            and not truncated
            and sha1_digest(response.body) == original.payload_digest
        ):
            record = self._revisit(response.url, head, PROFILE_IDENTICAL, original, ip)
        else:
            record = self.factory.response(
                response.url, block, payload_offset, ip=ip, truncated=truncated
            )
        sent = self.factory.request(
            request.url,
            request_block(
                request.method, request.url, _header_pairs(request.headers), request.body
            ),
            record,
            CrawlContext(
                request.meta.get("source"),
                request.meta.get("kind"),
                bool(request.meta.get("recrawl")),
            ).fields(),
        )
        try:
            location = self.writer.write([record, sent])[0]
        except WriteFailed as error:
            if self.crawler is not None:
                write_failed(self.crawler, error, request.meta.get("source"))
            raise IgnoreRequest(f"not archived: {error}") from error
        self.records += 2
        self.stats.inc_value("warc/records", 2)
        capture = None
        if record.header("WARC-Type") == "revisit":
            self.stats.inc_value("warc/revisits")
        else:
            capture = Capture(
                location.record_id,
                record.date,
                response.url,
                record.header("WARC-Payload-Digest") or "",
                location.filename,
                location.offset,
                location.length,
            )
        if self.state and not truncated:
            # Only now that the record is written does the state learn of it. A cut
            # body is no capture to compare later answers with, nor to revisit.
            try:
                self.state.record_fetch(
                    key,
                    source=request.meta.get("source", ""),
                    kind=request.meta.get("kind") or _kind_of(request.url),
                    fetched_at=record.date,
                    status=response.status,
                    etag=_header(response, b"ETag"),
                    last_modified=_header(response, b"Last-Modified"),
                    capture=capture,
                )
            except (
                StateWriteFailed
            ) as error:  # archived all the same: the next run fetches it again
                if self.crawler is not None:
                    write_failed(self.crawler, error, request.meta.get("source"))
        request.meta["warc"] = location.to_dict()
        request.meta["warc_date"] = record.date
        return response

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


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _kind_of(url: str) -> str:
    return "robots" if urlsplit(url).path == "/robots.txt" else "other"
