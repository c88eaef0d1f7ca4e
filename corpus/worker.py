"""What the extraction pool's workers run for a live crawl's page.

The pool pickles this function by reference: each worker imports its module. It imports
no Scrapy or Twisted, so the workers hold only the extraction libraries the fork server
shares with them (importing ``scraper.pipelines`` there cost each worker about 25 MiB).
"""

from __future__ import annotations

from corpus.article import Article
from corpus.options import ExtractionOptions


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
