"""The address guard refuses non-public targets unless ALLOW_PRIVATE_ADDRESSES is on."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from scraper.downloadermiddlewares.addressguard import is_public
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
    assert result.returncode == 0, result.log
    assert f"Refused {base}/" in result.log and "non-public address" in result.log
    assert news_site.server.paths() == []
    assert "'addressguard/refused':" in result.log
