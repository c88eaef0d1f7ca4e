"""RedirectGuardMiddleware in-process, above Scrapy's RedirectMiddleware as the settings put it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler

from scraper.downloadermiddlewares.redirectguard import RedirectGuardMiddleware
from sitefixture.inprocess import project_crawler

BASE = "https://a.example"
SOURCES = f'[[source]]\nname = "a"\nurl = "{BASE}/"\n'


def follow(
    tmp_path: Path, redirects: dict[str, str], start: str, **settings: Any
) -> tuple[list[str], dict[str, Any], str | None]:
    """Fetch ``start`` through both middlewares, each path of ``redirects`` answering a 301 to
    its target: the URLs asked for, the stats, and why the chain was refused (if it was)."""
    crawler = project_crawler(Spider, SOURCES, tmp_path, **settings)
    guard = build_from_crawler(RedirectGuardMiddleware, crawler)
    redirect = build_from_crawler(RedirectMiddleware, crawler)
    request = Request(BASE + start, meta={"source": "a", "kind": "article"})
    asked = []
    refused = None
    for _ in range(50):
        asked.append(request.url)
        path = request.url.removeprefix(BASE)
        if path in redirects:
            response: Response = Response(
                request.url, status=301, headers={"Location": redirects[path]}, request=request
            )
        else:
            response = HtmlResponse(request.url, body=b"<p>story</p>", request=request)
        try:
            # process_response runs from the highest order down: the guard (610) first.
            answer = redirect.process_response(request, guard.process_response(request, response))
        except IgnoreRequest as error:
            refused = str(error)
            break
        if isinstance(answer, Response):
            break
        request = answer
    stats = crawler.stats.get_stats()
    return asked, stats, refused


def test_a_redirect_chain_past_the_limit_ends_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chain = {"/story": "/hop/1", **{f"/hop/{n}": f"/hop/{n + 1}" for n in range(1, 6)}}
    with caplog.at_level(logging.WARNING):
        asked, stats, refused = follow(tmp_path, chain, "/story", REDIRECT_MAX_TIMES=3)
    assert asked == [BASE + path for path in ("/story", "/hop/1", "/hop/2", "/hop/3")]
    message = (
        f"Gave up following redirects of {BASE}/story after 3 hops (REDIRECT_MAX_TIMES), "
        f"at {BASE}/hop/3"
    )
    assert refused == message and message in caplog.text
    assert stats["redirect/too_long"] == 1 and stats["news/a/redirect_too_long"] == 1


def test_a_chain_within_the_limit_is_followed_to_its_end(tmp_path: Path) -> None:
    chain = {"/story": "/hop/1", **{f"/hop/{n}": f"/hop/{n + 1}" for n in range(1, 6)}}
    asked, stats, refused = follow(tmp_path, chain, "/story")
    assert refused is None and asked[-1] == f"{BASE}/hop/6" and len(asked) == 7
    assert not any(key.startswith(("redirect/", "news/")) for key in stats)


def test_a_redirect_back_into_the_chain_is_a_loop(tmp_path: Path) -> None:
    chain = {"/story": "/loop-b", "/loop-b": "/story?utm_source=x"}  # the same page, canonically
    asked, stats, refused = follow(tmp_path, chain, "/story")
    assert asked == [f"{BASE}/story", f"{BASE}/loop-b"]
    assert refused == f"Redirect loop: {BASE}/loop-b sends back to {BASE}/story?utm_source=x"
    assert stats["redirect/loop"] == 1 and stats["news/a/redirect_loop"] == 1


def test_a_redirect_to_another_scheme_is_refused(tmp_path: Path) -> None:
    asked, stats, refused = follow(tmp_path, {"/story": "file:///etc/passwd"}, "/story")
    assert asked == [f"{BASE}/story"]
    assert refused == (
        f"Redirect of {BASE}/story to file:///etc/passwd refused: only http and https are followed"
    )
    assert stats["redirect/scheme"] == 1 and stats["news/a/redirect_scheme"] == 1


def test_an_empty_location_is_a_loop_back_to_the_page(tmp_path: Path) -> None:
    """Scrapy reads it as the page itself; the redirect was dropped as seen, and the article
    settled as a duplicate for good."""
    asked, stats, refused = follow(tmp_path, {"/story": ""}, "/story")
    assert asked == [f"{BASE}/story"]
    assert refused == f"Redirect loop: {BASE}/story sends back to {BASE}/story"
    assert stats["redirect/loop"] == 1
