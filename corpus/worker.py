"""What the extraction pool's workers run for a live crawl's page.

The pool pickles this function by reference: each worker imports its module. It imports
no Scrapy or Twisted, so the workers hold only the extraction libraries the fork server
shares with them (importing ``scraper.pipelines`` there cost each worker about 25 MiB).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from isal import isal_zlib

from corpus.article import Article
from corpus.charset import declared_encoding
from corpus.options import ExtractionOptions

if TYPE_CHECKING:
    from archive.exchange import Exchange
    from archive.writer import Packed


def extract_for_corpus(
    body: bytes, url: str, encoding: str | None, options: ExtractionOptions
) -> Article | None:
    """Extract in a pool process, with the body's fingerprint and words counted there, off the reactor."""
    # Imported here, in the pool's processes: the crawl process never loads trafilatura (about 20 MB).
    from corpus.extract import extract_article

    article = extract_article(body, url, encoding, options)
    if article is not None:
        article.fingerprint()
        article.words  # noqa: B018 - counted once, here
    return article


#: isal's stub types its ``error`` as an instance, not a class.
INFLATE_ERROR: type[Exception] = isal_zlib.error  # type: ignore[assignment]


class Undecoded(Exception):
    """The worker could not inflate a gzip body as a whole: the crawl's pipeline extracts the
    body Scrapy decoded, which is lenient where this is strict."""


def gunzipped(body: bytes, limit: int) -> bytes:
    """``body`` inflated: one or more whole gzip members, nothing after them, at most ``limit``
    bytes inflated; raise :class:`Undecoded` otherwise.

    For such a body every decoder gives the same bytes, Scrapy's HttpCompressionMiddleware
    too: the worker extracts what the spider would. A cut or corrupt stream, which Scrapy
    decodes in part, is left to it.
    """
    parts: list[bytes] = []
    size = 0
    rest = body
    while rest:
        inflater = isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS)
        try:
            part = inflater.decompress(rest, min(limit - size + 1, sys.maxsize))
        except INFLATE_ERROR as error:
            raise Undecoded(f"not gzip: {error}") from None
        size += len(part)
        if size > limit:
            raise Undecoded(f"inflates past {limit} bytes")
        if not inflater.eof:
            raise Undecoded("a cut gzip stream")
        parts.append(part)
        rest = inflater.unused_data
    if not parts:
        raise Undecoded("an empty body")
    return b"".join(parts)


def archive_and_extract(
    exchange: Exchange,
    warcinfo_id: str,
    engine: str,
    level: int,
    encoding: str | None,
    options: ExtractionOptions,
    gzip_limit: int = 0,
) -> tuple[Packed, Article | None, Exception | None]:
    """Pack the records of an article's exchange, then extract the article: its body crosses
    to the worker once. The records come back packed whatever the extraction did: with the
    article, or with the error that stopped it (:class:`Undecoded`: not extracted here).

    ``gzip_limit`` (not 0): the body is gzip-encoded; it is inflated here, to at most that
    many bytes, and its declared encoding read from it (``encoding`` is not used).
    """
    from archive.exchange import pack_exchange

    packed = pack_exchange(exchange, warcinfo_id, engine, level)
    body = exchange.body
    try:
        if gzip_limit:
            body = gunzipped(body, gzip_limit)
            encoding = declared_encoding(body, _content_type(exchange.headers))
        return packed, extract_for_corpus(body, exchange.url, encoding, options), None
    except Exception as error:  # noqa: BLE001 - the pipeline handles it as if it had extracted the page
        return packed, None, error


def _content_type(headers: list[tuple[str, str]]) -> str:
    """The last ``Content-Type`` header, the one Scrapy reads."""
    return next((value for name, value in reversed(headers) if name.lower() == "content-type"), "")
