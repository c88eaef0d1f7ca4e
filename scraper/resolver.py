"""The DNS resolver Scrapy connects through: it hands connections public addresses only."""

from __future__ import annotations

import ipaddress
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import attr
from scrapy.utils.datatypes import LocalCache
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer

from scraper.addresses import is_public

if TYPE_CHECKING:
    from twisted.internet.address import IPv4Address, IPv6Address
    from twisted.internet.interfaces import IAddress

    # What a hostname resolution hands over (IAddress lacks their host and port).
    _IPAddress = IPv4Address | IPv6Address

logger = logging.getLogger(__name__)


def installed_guard() -> GuardedResolver | None:
    """The ``GuardedResolver`` the reactor connects through, if it is one."""
    reactor = sys.modules.get("twisted.internet.reactor")  # importing it would install one
    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None


@implementer(IResolutionReceiver)
class _Collector:
    """Receive an upstream resolution whole, then hand it to ``done``."""

    def __init__(self, receiver: IResolutionReceiver, done: Any) -> None:
        self.receiver = receiver
        self.done = done
        self.addresses: list[_IPAddress] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(cast("_IPAddress", address))

    def resolutionComplete(self) -> None:
        self.done(self.addresses)


@implementer(IHostResolution)
class _Cached:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        """Nothing to cancel: the answer came from the cache."""


@implementer(IHostnameResolver)
class GuardedResolver:
    """Resolve with the reactor's own resolver and pass on public addresses only.

    ``TWISTED_DNS_RESOLVER`` installs it, so every connection Scrapy opens, redirect hops
    included, goes to an address checked here: a second lookup that DNS rebinding could
    answer differently never happens. A name with any non-public address is refused
    whole and one that does not resolve fails; either way the connection fails with
    ``DNSLookupError`` and ``refusals`` says why. Vetted answers are cached
    (``DNSCACHE_ENABLED``, ``DNSCACHE_SIZE``), refusals and failures never.
    ``ALLOW_PRIVATE_ADDRESSES`` passes every address on.
    """

    def __init__(self, reactor: Any, allow_private: bool = False, cache_size: int = 10000) -> None:
        self.reactor = reactor
        self.upstream: IHostnameResolver = reactor.nameResolver
        self.allow_private = allow_private
        # Keyed by name and the address types asked for: an IPv4-only answer is no IPv6 one.
        self.cache: LocalCache[tuple[str, frozenset[Any] | None], list[_IPAddress]] | None = (
            LocalCache(cache_size) if cache_size else None
        )
        self.refusals: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        settings = crawler.settings
        cache = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        allow = settings.getbool("ALLOW_PRIVATE_ADDRESSES") or bool(settings.get("REPLAY_ARCHIVE"))
        return cls(reactor, allow, cache)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def allowed(self, address: str) -> bool:
        """Whether a connection may go to ``address``."""
        return self.allow_private or is_public(ipaddress.ip_address(address.split("%")[0]))

    def refusal(self, host: str, addresses: list[_IPAddress]) -> str | None:
        """Why the answer ``addresses`` for ``host`` is refused, or ``None``."""
        blocked = [address.host for address in addresses if not self.allowed(address.host)]
        if blocked:
            return f"{host} resolves to non-public address {', '.join(blocked)} (set ALLOW_PRIVATE_ADDRESSES to allow)"
        return None

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        key = (hostName, None if addressTypes is None else frozenset(addressTypes))
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is not None:
            resolution = _Cached(hostName)
            resolutionReceiver.resolutionBegan(resolution)
            self._deliver(resolutionReceiver, cached, portNumber)
            return resolution

        def done(addresses: list[_IPAddress]) -> None:
            reason = self.refusal(hostName, addresses)
            if reason:
                self.refusals[hostName] = reason
                logger.debug("DNS answer refused: %s", reason)
                addresses = []
            elif addresses:
                self.refusals.pop(hostName, None)
                if self.cache is not None:
                    self.cache[key] = [attr.evolve(address, port=0) for address in addresses]
            self._deliver(resolutionReceiver, addresses, portNumber)

        return self.upstream.resolveHostName(
            _Collector(resolutionReceiver, done),
            hostName,
            portNumber,
            addressTypes,
            transportSemantics,
        )

    @staticmethod
    def _deliver(receiver: IResolutionReceiver, addresses: list[_IPAddress], port: int) -> None:
        for address in addresses:
            receiver.addressResolved(
                attr.evolve(address, port=port) if address.port != port else address
            )
        receiver.resolutionComplete()
