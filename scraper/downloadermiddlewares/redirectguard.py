"""End redirect loops, over-long chains and redirects to other schemes with a warning and a stat."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy.http import Request, Response
from w3lib.url import safe_url_string

from corpus.urls import canonicalize
from scraper import meta
from scraper.failures import PageRefused

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

REDIRECTS = (301, 302, 303, 307, 308)


class RedirectGuardMiddleware:
    """Refuse a redirect to another scheme than http(s), back into its own chain, or past
    ``REDIRECT_MAX_TIMES`` hops.

    Sits above Scrapy's RedirectMiddleware (600), below WarcMiddleware: every hop
    is archived first. Each refusal is logged as a warning and counted in
    ``redirect/scheme``, ``redirect/loop`` or ``redirect/too_long`` and in the source's stats.
    """

    def __init__(self, crawler: Crawler, max_hops: int) -> None:
        self.crawler = crawler
        self.max_hops = max_hops

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler, crawler.settings.getint("REDIRECT_MAX_TIMES"))

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if (
            response.status not in REDIRECTS
            or location is None
            or request.meta.get(meta.DONT_REDIRECT)
        ):
            return response
        target = urljoin(request.url, safe_url_string(location))
        chain = [*request.meta.get(meta.REDIRECT_URLS, []), request.url]
        if urlsplit(target).scheme not in ("http", "https"):
            self._refuse(
                request,
                "scheme",
                f"Redirect of {request.url} to {target} refused: only http and https are followed",
            )
        if canonicalize(target) in {canonicalize(url) for url in chain}:
            self._refuse(request, "loop", f"Redirect loop: {request.url} sends back to {target}")
        if len(chain) > self.max_hops:
            self._refuse(
                request,
                "too_long",
                f"Gave up following redirects of {chain[0]} after {self.max_hops} hops (REDIRECT_MAX_TIMES), at {request.url}",
            )
        return response

    def _refuse(self, request: Request, what: str, message: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"redirect/{what}")
        if request.meta.get(meta.SOURCE):
            stats.inc_value(f"news/{request.meta[meta.SOURCE]}/redirect_{what}")
        logger.warning(message)
        raise PageRefused(message)
