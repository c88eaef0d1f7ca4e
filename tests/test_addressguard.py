"""The address guard refuses non-public targets unless ALLOW_PRIVATE_ADDRESSES is on."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IResolutionReceiver
from zope.interface import implementer

from scraper.downloadermiddlewares.addressguard import AddressGuardMiddleware, is_public
from scraper.resolver import GuardedResolver
from sitefixture import FixtureServer, Resource, pages
from sitefixture.fakedns import Script, fake_dns
from sitefixture.server import free_port
from tests.conftest import ServedSite, crawl

EMBEDDED_LOOPBACK = ["::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "::ffff:127.0.0.1"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.1.1", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("0.0.0.0", False),
        ("::", False),
        *[(address, False) for address in EMBEDDED_LOOPBACK],
        ("2002:a00:1::", False),
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("64:ff9b::5db8:d822", True),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    # Pure classification: nothing is sent to these addresses.
    assert is_public(ipaddress.ip_address(address)) is public


@implementer(IResolutionReceiver)
class Received:
    """What a connection would be handed by the resolver."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.complete = True


class Reactor:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.nameResolver = Script(answers)


def lookups(
    resolver: GuardedResolver, name: str, times: int, types: list[Any] | None = None
) -> list[list[str]]:
    """The addresses each of ``times`` connections to ``name`` would be handed (nothing is connected)."""
    answers = []
    for _ in range(times):
        received = Received()
        resolver.resolveHostName(received, name, 80, types)
        assert received.complete
        answers.append(received.addresses)
    return answers


def test_the_resolver_hands_connections_public_addresses_only_at_every_lookup() -> None:
    answers = {
        "late.test": ["", "127.0.0.1"],  # fails first, then points at loopback
        "flip.test": ["93.184.216.34", "127.0.0.1"],  # public, then loopback
        "mixed.test": ["93.184.216.34,10.0.0.1"],
        **{f"v6-{n}.test": [address] for n, address in enumerate(EMBEDDED_LOOPBACK)},
    }
    resolver = GuardedResolver(Reactor(answers), allow_private=False, cache_size=0)
    assert lookups(resolver, "late.test", 2) == [[], []]
    assert resolver.refusals["late.test"].startswith(
        "late.test resolves to non-public address 127.0.0.1"
    )
    assert lookups(resolver, "flip.test", 2) == [["93.184.216.34"], []]
    assert lookups(resolver, "mixed.test", 1) == [[]]
    assert "10.0.0.1" in resolver.refusals["mixed.test"]
    for n in range(len(EMBEDDED_LOOPBACK)):
        assert lookups(resolver, f"v6-{n}.test", 1) == [[]]
    assert lookups(
        GuardedResolver(Reactor(answers), allow_private=True, cache_size=0), "late.test", 2
    ) == [[], ["127.0.0.1"]]


def test_a_vetted_answer_is_pinned_for_the_run_by_the_cache() -> None:
    reactor = Reactor({"flip.test": ["93.184.216.34", "127.0.0.1"]})
    resolver = GuardedResolver(reactor, allow_private=False, cache_size=100)
    assert lookups(resolver, "flip.test", 3) == [["93.184.216.34"]] * 3
    assert reactor.nameResolver.lookups == {"flip.test": 1}


def test_the_cache_answers_only_for_the_address_types_it_was_asked() -> None:
    reactor = Reactor({"dual.test": ["93.184.216.34,2606:4700::1111"]})
    resolver = GuardedResolver(reactor, allow_private=False, cache_size=100)
    assert lookups(resolver, "dual.test", 2, [IPv4Address]) == [["93.184.216.34"]] * 2
    assert lookups(resolver, "dual.test", 1, [IPv6Address]) == [["2606:4700::1111"]]
    assert lookups(resolver, "dual.test", 1) == [["93.184.216.34", "2606:4700::1111"]]
    assert reactor.nameResolver.lookups == {"dual.test": 3}


def closing_site(server: FixtureServer, article: str = "/news/2026/11/20/a-story") -> None:
    """A one-article site that closes every connection, so each request resolves again."""
    close = [("Connection", "close")]
    server.routes["/robots.txt"] = Resource(
        b"User-agent: *\nAllow: /\n", content_type="text/plain", headers=close
    )
    server.routes["/"] = Resource(
        pages.listing_html("Home", [(article, "A story")]).encode(), headers=close
    )
    server.routes[article] = Resource(b"<html><body><p>story</p></body></html>", headers=close)


def test_a_name_rebound_to_loopback_mid_crawl_is_refused_before_any_connection(
    tmp_path: Path,
) -> None:
    """rebind.test answers 127.0.0.2 (public for this test) once, then 127.0.0.1."""
    port = free_port()
    with FixtureServer(host="127.0.0.2", port=port) as outside, FixtureServer(port=port) as inside:
        closing_site(outside)
        closing_site(inside)
        sources = f'[[source]]\nname = "rebind"\nurl = "http://rebind.test:{port}/"\n'
        settings = fake_dns(
            {"rebind.test": ["127.0.0.2", "127.0.0.1"]}, ["127.0.0.2"], DNSCACHE_ENABLED="False"
        )
        result = crawl(tmp_path, sources, settings)
        reached_inside, reached_outside = inside.paths(), outside.paths()
    assert reached_inside == []
    assert reached_outside == ["/robots.txt"]
    assert (
        f"Refused http://rebind.test:{port}/: rebind.test resolves to non-public address 127.0.0.1"
        in result.log
    )
    assert "'news/rebind/errors/refused_address': 1" in result.log
    assert result.returncode != 0


def test_a_name_that_fails_first_then_points_at_loopback_stays_refused(tmp_path: Path) -> None:
    with FixtureServer() as inside:
        closing_site(inside)
        sources = f'[[source]]\nname = "late"\nurl = "http://late.test:{inside.port}/"\n'
        settings = fake_dns(
            {"late.test": ["", "127.0.0.1"]}, ROBOTSTXT_OBEY="False", DNSCACHE_ENABLED="False"
        )
        result = crawl(tmp_path, sources, settings)
        reached = inside.paths()
    assert reached == []
    assert (
        f"Refused http://late.test:{inside.port}/: late.test resolves to non-public address 127.0.0.1"
        in result.log
    )
    assert result.returncode != 0


def test_a_redirect_to_a_name_of_a_private_address_is_refused_at_that_hop(tmp_path: Path) -> None:
    port = free_port()
    with FixtureServer(host="127.0.0.2", port=port) as outside, FixtureServer(port=port) as inside:
        closing_site(inside)
        outside.routes["/robots.txt"] = Resource(
            b"User-agent: *\nAllow: /\n", content_type="text/plain"
        )
        outside.routes["/"] = Resource(
            status=302, headers=[("Location", f"http://inside.outside.test:{port}/")]
        )
        sources = f'[[source]]\nname = "hop"\nurl = "http://outside.test:{port}/"\n'
        answers = {"outside.test": ["127.0.0.2"], "inside.outside.test": ["127.0.0.1"]}
        result = crawl(tmp_path, sources, fake_dns(answers, ["127.0.0.2"]))
        reached = inside.paths()
    assert reached == []
    assert (
        f"Refused http://inside.outside.test:{port}/: inside.outside.test resolves to non-public address 127.0.0.1"
        in result.log
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "localhost.", "[::ffff:127.0.0.1]"])
def test_guard_on_refuses_loopback_and_sends_nothing(
    news_site: ServedSite, tmp_path: Path, host: str
) -> None:
    base = news_site.server.base_url.replace("127.0.0.1", host)
    result = crawl(
        tmp_path, news_site.site.source_toml(base), settings={"ALLOW_PRIVATE_ADDRESSES": "False"}
    )
    assert result.returncode == 3, result.log  # nothing worked: every request was refused
    assert f"Refused {base}/" in result.log
    assert "non-public address" in result.log or "loopback name" in result.log
    assert news_site.server.paths() == []
    assert "'addressguard/refused':" in result.log
    assert "'news/fixture/errors/refused_address':" in result.log


def test_every_redirect_hop_is_checked_again() -> None:
    """Scrapy's RedirectMiddleware makes each hop a new request, which meets the guard again."""
    crawler = get_crawler(Spider, {"ALLOW_PRIVATE_ADDRESSES": False})
    crawler.spider = Spider("guard")
    guard = AddressGuardMiddleware.from_crawler(crawler)
    redirects = RedirectMiddleware.from_crawler(crawler)
    first = Request(
        "http://93.184.216.34/story"
    )  # a public literal address: nothing is resolved or sent
    guard.process_request(first)
    answer = Response(
        first.url, status=302, headers={"Location": "http://127.0.0.1:9/admin"}, request=first
    )
    hop = redirects.process_response(first, answer)
    assert isinstance(hop, Request) and hop.url == "http://127.0.0.1:9/admin"
    with pytest.raises(IgnoreRequest, match="non-public address 127.0.0.1"):
        guard.process_request(hop)


def test_names_are_refused_when_the_guarded_resolver_is_not_installed() -> None:
    """Fail closed: without GuardedResolver nothing checks the address a name connects to."""
    crawler = get_crawler(Spider, {"ALLOW_PRIVATE_ADDRESSES": False})
    guard = AddressGuardMiddleware.from_crawler(crawler)
    with pytest.raises(IgnoreRequest, match="TWISTED_DNS_RESOLVER"):
        guard.process_request(Request("http://news.example/"))
