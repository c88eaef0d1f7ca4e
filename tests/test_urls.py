"""URL canonicalisation and hashing."""

from __future__ import annotations

import hashlib

from corpus.urls import canonicalize, same_site, url_hash


def test_canonicalize_drops_fragment_tracking_and_default_port() -> None:
    assert canonicalize("HTTPS://News.Example:443/a/b?utm_source=rss&id=3&fbclid=x&b=1#top") == (
        "https://news.example/a/b?b=1&id=3"
    )
    assert canonicalize("http://127.0.0.1:8080/x?ref=rss") == "http://127.0.0.1:8080/x"
    assert canonicalize("http://n.example") == "http://n.example/"


def test_url_hash_is_sha256_prefix() -> None:
    url = "https://news.example/a"
    assert url_hash(url) == hashlib.sha256(url.encode()).hexdigest()[:16]


def test_same_site_accepts_subdomains_and_www() -> None:
    assert same_site("https://www.news.example/a", "news.example")
    assert same_site("https://m.news.example/a", "www.news.example")
    assert not same_site("https://news.example.evil/a", "news.example")
    assert not same_site("http://127.0.0.2:80/a", "127.0.0.1")
