"""Refuse requests to private, loopback, link-local and other non-public addresses."""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from scraper import meta
from scraper.addresses import is_public, loopback_name
from scraper.resolver import installed_guard

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["AddressGuardMiddleware", "is_public"]

logger = logging.getLogger(__name__)


class AddressGuardMiddleware:
    """Refuse a request unless its host is a public address, and say why.

    Only ``http`` and ``https`` URLs pass, always. Then, unless
    ``ALLOW_PRIVATE_ADDRESSES = True`` (the tests' 127.0.0.1 sites) or the crawl reads
    ``REPLAY_ARCHIVE``: a literal address must be public, ``localhost`` names are refused,
    and a name goes to ``scraper.resolver.GuardedResolver`` (``TWISTED_DNS_RESOLVER``),
    which checks the addresses the connection is then made to, on every request and
    redirect hop. Without that resolver, names are refused (fail closed). Each refusal is
    logged with the URL and reason and counted in ``addressguard/refused`` and as an
    error of the source.
    """

    def __init__(self, stats: StatsCollector, allow_private: bool = False) -> None:
        self.stats = stats
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        settings = crawler.settings
        # Crawling from the archive contacts no address: nothing to resolve or refuse.
        allow_private = settings.getbool("ALLOW_PRIVATE_ADDRESSES") or bool(
            settings.get("REPLAY_ARCHIVE")
        )
        return cls(crawler.stats, allow_private)

    def _refuse(self, request: Request, reason: str, what: str = "address") -> IgnoreRequest:
        self.stats.inc_value(
            f"addressguard/refused/{what}" if what != "address" else "addressguard/refused"
        )
        source = request.meta.get(meta.SOURCE)
        if source:
            self.stats.inc_value(f"news/{source}/errors/refused_{what}")
        logger.warning("Refused %s: %s", request.url, reason)
        return IgnoreRequest(f"Refused {request.url}: {reason}")

    @staticmethod
    def _host_refusal(host: str) -> str | None:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if loopback_name(host):
                return f"{host} is a loopback name (set ALLOW_PRIVATE_ADDRESSES to allow)"
            guard = installed_guard()
            if guard is None or guard.allow_private:
                return f"{host} cannot be checked: TWISTED_DNS_RESOLVER is not scraper.resolver.GuardedResolver"
            return None
        if not is_public(address):
            return f"{host} resolves to non-public address {address} (set ALLOW_PRIVATE_ADDRESSES to allow)"
        return None

    def process_request(self, request: Request) -> None:
        parsed = urlparse_cached(request)
        if parsed.scheme not in ("http", "https"):
            raise self._refuse(request, "only http and https are fetched", "scheme")
        if self.allow_private:
            return
        reason = self._host_refusal(parsed.hostname or "")
        if reason:
            raise self._refuse(request, reason)

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Turn a connection the resolver refused into a refusal that names the URL and the reason."""
        if self.allow_private or not isinstance(
            exception, (CannotResolveHostError, DNSLookupError)
        ):
            return
        guard = installed_guard()
        reason = guard.refusals.get(urlparse_cached(request).hostname or "") if guard else None
        if reason:
            raise self._refuse(request, reason)
