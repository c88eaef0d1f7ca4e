"""Article responses become the crawl's items here, fetched live or read back from the archive."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from scraper.items import PREFETCHED, PageItem, declared_encoding, unfit_for_extraction
from scraper.signals import article_filtered

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from scraper.fromarchive import ArchivedBody
    from scraper.sources import Source

UNCHANGED = "unchanged"  # a recrawl the server answered 304: the corpus text stands
DUPLICATE = "duplicate"  # an article the corpus holds already, or asked for already this run
OFFSITE_REDIRECT = "offsite-redirect"  # an article that redirects off its source's site


def count_filtered(crawler: Crawler, source: str, reason: str, url: str) -> None:
    """Count an article of ``source`` left out before extraction (``news/<source>/filtered/<reason>``);
    the summary shows the first URLs of each reason."""
    assert crawler.stats is not None
    crawler.stats.inc_value(f"news/{source}/filtered/{reason}")
    crawler.signals.send_catch_log(article_filtered, source=source, reason=reason, url=url)


class ArticleItems:
    """Make numbered :class:`PageItem` s of article responses, and count those that make none.

    ``PageItem.sequence`` numbers the items in the order they are made: the corpus
    stores them in that order (:class:`scraper.ordering.YieldOrder`).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.numbers = itertools.count()

    def filtered(self, source: Source, reason: str, url: str) -> None:
        """Count a page left out before extraction (``news/<source>/filtered/<reason>``)."""
        count_filtered(self.crawler, source.name, reason, url)

    @staticmethod
    def unfit(response: Response) -> str | None:
        """Why ``response`` is not extracted (``not-html``, ``truncated``, ``too-large``);
        ``None`` if it is. A cut body is flagged ``download_stopped``, fetched or archived."""
        return unfit_for_extraction(response)

    def item(
        self,
        response: Response,
        source: Source,
        *,
        fetched_at: str,
        warc: dict[str, Any],
        requested_url: str,
        recrawl: bool,
    ) -> PageItem:
        """The next item: ``response`` of ``source``, fetched at ``fetched_at``, archived at ``warc``,
        and the archiving, with extraction, of the response to its request by a worker, if one
        has it."""
        return self._numbered(
            response.url,
            source,
            body=response.body,
            encoding=declared_encoding(response),
            prefetched=PREFETCHED.pop(response.request, None) if response.request else None,
            fetched_at=fetched_at,
            warc=warc,
            requested_url=requested_url,
            recrawl=recrawl,
        )

    def archived_item(
        self,
        url: str,
        source: Source,
        body: ArchivedBody,
        *,
        fetched_at: str,
        warc: dict[str, Any],
        requested_url: str,
        recrawl: bool,
    ) -> PageItem:
        """The next item, of an archived response the extraction worker reads at ``body``."""
        return self._numbered(
            url,
            source,
            body=b"",
            archived=body,
            fetched_at=fetched_at,
            warc=warc,
            requested_url=requested_url,
            recrawl=recrawl,
        )

    def _numbered(self, url: str, source: Source, **fields: Any) -> PageItem:
        return PageItem(url=url, source=source.name, sequence=next(self.numbers), **fields)
