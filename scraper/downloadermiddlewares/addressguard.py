"""Refuse requests to private, loopback, link-local and other non-public addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """Tell whether ``address`` is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class AddressGuardMiddleware:
    """Resolve each request's host and refuse it when any address is not public.

    Disabled by ``ALLOW_PRIVATE_ADDRESSES = True`` (the tests' 127.0.0.1 sites) and
    when crawling from ``REPLAY_ARCHIVE``. Only ``http`` and ``https`` URLs pass, always.
    """

    def __init__(self, stats: StatsCollector, allow_private: bool = False) -> None:
        self.stats = stats
        self.allow_private = allow_private
        self._verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        settings = crawler.settings
        # Crawling from the archive contacts no address: nothing to resolve or refuse.
        allow_private = settings.getbool("ALLOW_PRIVATE_ADDRESSES") or bool(settings.get("REPLAY_ARCHIVE"))
        return cls(crawler.stats, allow_private)

    async def _refusal(self, host: str) -> str | None:
        if self.allow_private:
            return None
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except OSError:
                return None  # the download itself will fail and report it
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        blocked = [str(a) for a in addresses if not is_public(a)]
        if blocked:
            return f"{host} resolves to non-public address {', '.join(blocked)} (set ALLOW_PRIVATE_ADDRESSES to allow)"
        return None

    async def process_request(self, request: Request) -> None:
        parsed = urlparse_cached(request)
        if parsed.scheme not in ("http", "https"):
            self.stats.inc_value("addressguard/refused/scheme")
            logger.warning("Refused %s: only http and https are fetched", request.url)
            raise IgnoreRequest(f"Refused {request.url}: only http and https are fetched")
        if self.allow_private:
            return None
        host = parsed.hostname or ""
        if host not in self._verdicts:
            self._verdicts[host] = await self._refusal(host)
        reason = self._verdicts[host]
        if reason:
            self.stats.inc_value("addressguard/refused")
            logger.warning("Refused %s: %s", request.url, reason)
            raise IgnoreRequest(f"Refused {request.url}: {reason}")
        return None
