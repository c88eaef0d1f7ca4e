"""The address guard refuses non-public targets unless ALLOW_PRIVATE_ADDRESSES is on."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from scraper.downloadermiddlewares.addressguard import AddressGuardMiddleware, is_public
from tests.conftest import ServedSite, crawl


@pytest.mark.parametrize(
    ("address", "public"),
    [("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False), ("169.254.1.1", False),
     ("224.0.0.1", False), ("::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False),
     ("0.0.0.0", False), ("93.184.216.34", True), ("2606:4700::1111", True)],
)
def test_is_public(address: str, public: bool) -> None:
    # Pure classification: nothing is sent to these addresses.
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_guard_on_refuses_loopback_and_sends_nothing(news_site: ServedSite, tmp_path: Path, host: str) -> None:
    base = news_site.server.base_url.replace("127.0.0.1", host)
    result = crawl(tmp_path, news_site.site.source_toml(base), settings={"ALLOW_PRIVATE_ADDRESSES": "False"})
    assert result.returncode == 3, result.log  # nothing worked: every request was refused
    assert f"Refused {base}/" in result.log and "non-public address" in result.log
    assert news_site.server.paths() == []
    assert "'addressguard/refused':" in result.log


def test_every_redirect_hop_is_checked_again() -> None:
    """Scrapy's RedirectMiddleware makes each hop a new request, which meets the guard again."""
    crawler = get_crawler(Spider, {"ALLOW_PRIVATE_ADDRESSES": False})
    crawler.spider = Spider("guard")
    guard = AddressGuardMiddleware.from_crawler(crawler)
    redirects = RedirectMiddleware.from_crawler(crawler)
    first = Request("http://93.184.216.34/story")  # a public literal address: nothing is resolved or sent
    asyncio.run(guard.process_request(first))
    answer = Response(first.url, status=302, headers={"Location": "http://127.0.0.1:9/admin"}, request=first)
    hop = redirects.process_response(first, answer)
    assert isinstance(hop, Request) and hop.url == "http://127.0.0.1:9/admin"
    with pytest.raises(IgnoreRequest, match="non-public address 127.0.0.1"):
        asyncio.run(guard.process_request(hop))
