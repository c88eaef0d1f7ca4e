"""Scrapy's OffsiteMiddleware, saying which redirect it did not follow."""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.spiders import Spider

from scraper import meta
from scraper.articles import OFFSITE_REDIRECT, count_filtered

logger = logging.getLogger(__name__)


class RedirectNamingOffsiteMiddleware(OffsiteMiddleware):
    """OffsiteMiddleware that tells of the redirects off the sources' sites it drops.

    Scrapy drops such a redirect with a DEBUG line for its first request to each domain and
    ``offsite/filtered``; the page is simply missing. Here an article's is counted among its
    source's filtered pages (``offsite-redirect``, its first URLs in the summary) and logged at
    INFO; a home or section that moved to another site gets a WARNING, since every article
    found through it is lost (feeds and sitemaps may be anywhere: ``meta.ALLOW_OFFSITE``). Links
    to other sites are still dropped quietly.
    """

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            super().process_request(request)  # Scrapy deprecates spider
        except IgnoreRequest:
            chain = request.meta.get(meta.REDIRECT_URLS)
            if chain:
                self._tell(request, chain[0])
            raise

    def _tell(self, request: Request, first: str) -> None:
        kind = request.meta.get(meta.KIND)
        source = request.meta.get(meta.SOURCE)
        level = logging.INFO if kind == "article" else logging.WARNING
        logger.log(
            level,
            "%s redirects to %s, off the sites of the sources: not followed (%s of source %s)",
            first,
            request.url,
            kind,
            source,
        )
        if kind == "article" and source:
            count_filtered(self.crawler, source, OFFSITE_REDIRECT, first)
