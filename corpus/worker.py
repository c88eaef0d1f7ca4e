"""What the extraction pool's workers run for a live crawl's page.

The pool pickles this function by reference: each worker imports its module. It imports
no Scrapy or Twisted, so the workers hold only the extraction libraries the fork server
shares with them (importing ``scraper.pipelines`` there cost each worker about 25 MiB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corpus.article import Article
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


def archive_and_extract(
    exchange: Exchange,
    warcinfo_id: str,
    engine: str,
    level: int,
    encoding: str | None,
    options: ExtractionOptions,
) -> tuple[Packed, Article | None, Exception | None]:
    """Pack the records of an article's exchange, then extract the article: its body crosses
    to the worker once. The records come back packed whatever the extraction did: with the
    article, or with the error that stopped it."""
    from archive.exchange import pack_exchange

    packed = pack_exchange(exchange, warcinfo_id, engine, level)
    try:
        return packed, extract_for_corpus(exchange.body, exchange.url, encoding, options), None
    except Exception as error:  # noqa: BLE001 - the pipeline handles it as if it had extracted the page
        return packed, None, error
