"""Extraction of an archived response in a pool process: it reads the payload from the WARC file.

The replay spider hands the pool where a page's payload is instead of the payload
itself, so the crawl process does not inflate, decode or send the bodies: each
worker reads its record, decodes it as the crawl's HttpCompressionMiddleware does,
tells whether it is fit for extraction, and extracts it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from scrapy.http import Request, Response
from scrapy.settings import Settings

from archive.capture import read_response
from archive.revisits import read_original
from corpus.article import Article
from corpus.options import ExtractionOptions
from scraper.archived import archived_response
from scraper.downloadermiddlewares.compression import IsalHttpCompressionMiddleware
from scraper.items import declared_encoding, unfit_for_extraction


@dataclass(frozen=True)
class ArchivedBody:
    """An archived response whose payload is read by the worker: in the record at ``path``,
    ``offset`` (the original's, for a revisit); its own ``headers``, or that record's when
    ``None``."""

    status: int
    headers: list[tuple[str, str]] | None = field(repr=False)
    path: str
    offset: int
    length: int = 0  # of the record's gzip member; 0: not known, found by reading
    truncated: bool = False
    max_size: int = 0  # DOWNLOAD_MAXSIZE for decoding; 0: no limit
    warn_size: int = 0


@dataclass
class Extracted:
    """What a worker made of an :class:`ArchivedBody`: an article (or none), or why it made none."""

    article: Article | None = None
    unfit: str | None = None  # ``not-html``, ``truncated``: left out as the live crawl does
    undecodable: str | None = None  # why its payload could not be read or decoded


class _Settings:
    """The little of a crawler that HttpCompressionMiddleware reads, in a pool process."""

    stats = None

    def __init__(self, max_size: int, warn_size: int) -> None:
        self.settings = Settings({"DOWNLOAD_MAXSIZE": max_size, "DOWNLOAD_WARNSIZE": warn_size})
        self.signals = self

    def connect(self, *args: Any, **kwargs: Any) -> None:
        """Signals are not sent in a pool process."""


HEADS_ROOM = 1 << 20  # bytes of WARC and HTTP heads allowed above DOWNLOAD_MAXSIZE


@functools.lru_cache(maxsize=8)
def _decoder(max_size: int, warn_size: int) -> IsalHttpCompressionMiddleware:
    return IsalHttpCompressionMiddleware(crawler=_Settings(max_size, warn_size))  # type: ignore[arg-type]


def decoded_response(url: str, body: ArchivedBody) -> Response:
    """The response the live crawl's spider saw: read from the archive, decoded, of the right class."""
    if body.length and body.path.endswith(".gz"):
        page = read_response(body.path, body.offset, body.length, limit=_record_limit(body))
    else:
        page = read_original(body.path, body.offset)
    headers = page.headers if body.headers is None else body.headers
    request = Request(url)
    response = archived_response(
        url, body.status, headers, page.payload, truncated=body.truncated, request=request
    )
    decoded = _decoder(body.max_size, body.warn_size).process_response(request, response)
    assert isinstance(decoded, Response)
    return decoded


def _record_limit(body: ArchivedBody) -> int:
    """The most a record may inflate to for ``body``: its payload within DOWNLOAD_MAXSIZE, as
    the crawl cuts it, and room for its heads; 0 without a limit."""
    return body.max_size + HEADS_ROOM if body.max_size else 0


def extract_archived(url: str, body: ArchivedBody, options: ExtractionOptions) -> Extracted:
    """Read, decode, check and extract ``url``'s archived response, in a pool process."""
    from corpus.worker import extract_for_corpus

    try:
        response = decoded_response(url, body)
    except Exception as error:  # noqa: BLE001 - reported by the crawl process, naming the record
        return Extracted(undecodable=f"{type(error).__name__}: {error}")
    unfit = unfit_for_extraction(response)
    if unfit:
        return Extracted(unfit=unfit)
    return Extracted(extract_for_corpus(response.body, url, declared_encoding(response), options))
