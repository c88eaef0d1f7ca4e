"""When a source is reported as needing attention."""

from __future__ import annotations

from pathlib import Path

from scraper.extensions.summary import attention_reasons
from sitefixture import FixtureServer, Resource, pages
from tests.conftest import crawl

HEALTHY = {"written": 3, "status": {"200": 20}, "filtered": {"off-topic": 2}}


def test_a_healthy_source_needs_nothing() -> None:
    assert attention_reasons(HEALTHY, [HEALTHY] * 4, idle_runs=5, min_responses=5) == []


def test_idle_for_n_runs_in_a_row() -> None:
    idle = {**HEALTHY, "written": 0}
    assert attention_reasons(idle, [idle] * 4, 5, 5) == ["no new article in 5 runs in a row"]
    assert attention_reasons(idle, [idle] * 3, 5, 5) == []  # not enough history yet
    assert attention_reasons(idle, [idle, idle, HEALTHY, idle], 5, 5) == []


def test_mostly_refused() -> None:
    blocked = {**HEALTHY, "status": {"200": 3, "403": 4, "503": 2}}
    assert attention_reasons(blocked, [], 5, 5) == ["6 of 9 responses were 403, 429 or 5xx"]
    few = {**HEALTHY, "status": {"429": 2}}
    assert attention_reasons(few, [], 5, 5) == []


def test_pages_extracting_to_nothing() -> None:
    empty = {**HEALTHY, "written": 1, "filtered": {"empty": 6}}
    assert attention_reasons(empty, [], 5, 5) == ["6 of 7 article pages extracted to nothing"]


def test_a_blocking_site_is_reported_at_the_end_of_the_crawl(tmp_path: Path) -> None:
    with FixtureServer() as server:
        links = [(f"/news/2026/11/2{n}/story-{n}", f"Story {n}") for n in range(6)]
        server.routes["/robots.txt"] = Resource(
            b"User-agent: *\nAllow: /\n", content_type="text/plain"
        )
        server.routes["/"] = Resource(pages.listing_html("Home", links).encode())
        for path, _ in links:
            server.routes[path] = Resource(b"<html><body>Access denied</body></html>", status=403)
        result = crawl(tmp_path, f'[[source]]\nname = "walled"\nurl = "{server.base_url}/"\n')
    assert result.returncode == 1, result.log  # some sources failed: its pages answered 403
    assert "Source walled needs attention: 6 of 8 responses were 403, 429 or 5xx" in result.log
