"""A scripted DNS for crawls in tests: names answer what the test says, nothing is looked up."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer

from scraper.resolver import GuardedResolver


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        """Answers are immediate."""


@implementer(IHostnameResolver)
class Script:
    """Answer ``name`` with ``answers[name][n]`` at its n-th lookup (the last one repeats).

    An answer is a comma-separated list of addresses, of which a lookup gets those of the
    ``addressTypes`` asked for; "" does not resolve; names not in ``answers`` do not resolve
    either. ``lookups`` counts the lookups of each name.
    """

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: dict[str, int] = {}

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[Any] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        script = self.answers.get(hostName, [""])
        count = self.lookups.get(hostName, 0)
        self.lookups[hostName] = count + 1
        for text in filter(None, script[min(count, len(script) - 1)].split(",")):
            kind = (
                IPv6Address
                if isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
                else IPv4Address
            )
            if addressTypes is None or kind in addressTypes:
                resolutionReceiver.addressResolved(kind("TCP", text, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


class ScriptedResolver(GuardedResolver):
    """The crawl's GuardedResolver over a ``Script`` from setting ``FAKE_DNS`` (JSON: name -> answers);
    addresses in setting ``FAKE_PUBLIC`` count as public, so loopback can stand in for the internet."""

    def __init__(
        self,
        reactor: Any,
        allow_private: bool,
        cache_size: int,
        answers: dict[str, list[str]],
        public: list[str],
    ) -> None:
        super().__init__(reactor, allow_private, cache_size)
        self.upstream = Script(answers)
        self.public = set(public)

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> ScriptedResolver:
        guarded = GuardedResolver.from_crawler(crawler, reactor)
        settings = crawler.settings
        cache = (guarded.cache.limit or 0) if guarded.cache is not None else 0
        return cls(
            reactor,
            guarded.allow_private,
            cache,
            settings.getdict("FAKE_DNS"),
            settings.getlist("FAKE_PUBLIC"),
        )

    def allowed(self, address: str) -> bool:
        return address in self.public or super().allowed(address)


def fake_dns(
    answers: dict[str, list[str]], public: Sequence[str] = (), **settings: str
) -> dict[str, str]:
    """Crawl settings that resolve through ``ScriptedResolver``, with the address guard on unless
    ``settings`` say otherwise."""
    return {
        "ALLOW_PRIVATE_ADDRESSES": "False",
        "TWISTED_DNS_RESOLVER": "sitefixture.fakedns.ScriptedResolver",
        "FAKE_DNS": json.dumps(answers),
        "FAKE_PUBLIC": ",".join(public),
        **settings,
    }
