"""Smaller hostile or broken inputs: each ends in one line naming what was wrong, a count and the right
exit code, and loses nothing that was valid."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from scrapy import signals

from scraper import exitcodes
from scraper.spiders.news import NewsSpider
from sitefixture import FixtureServer, Resource, pages
from sitefixture.inprocess import end_crawl, response, summarized_crawler
from tests.conftest import crawl
from tests.test_discovery import billion_laughs
from tests.test_hostile import ARTICLE, STORY, one_article_site

OTHER = "/news/2026/11/21/another-story"
OTHER_STORY = (
    "<html><head><title>Another story</title></head><body><article><h1>Another story</h1>"
    + "".join(
        f"<p>Oil tankers left Puerto La Cruz for Novorossiysk in week {n}, the port office said.</p>"
        for n in range(20)
    )
    + "</article></body></html>"
).encode()


def errors_of(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("error:") or "Traceback" in line]


def test_an_empty_sources_file_is_a_config_error(tmp_path: Path) -> None:
    result = crawl(tmp_path, "# nothing yet\n")
    assert result.returncode == exitcodes.CONFIG, result.log
    expected = f"error: {tmp_path / 'sources.toml'}: no [[source]] in it: nothing to crawl (scrapy addsource adds one)"
    assert errors_of(result.log) == [expected]


def test_a_sources_file_with_every_source_disabled_is_a_config_error(tmp_path: Path) -> None:
    result = crawl(
        tmp_path, '[[source]]\nname = "off"\nurl = "http://127.0.0.1:9/"\nenabled = false\n'
    )
    assert result.returncode == exitcodes.CONFIG, result.log
    expected = f"error: {tmp_path / 'sources.toml'}: every source is disabled (enabled = false): nothing to crawl"
    assert errors_of(result.log) == [expected]


def test_a_state_file_that_is_no_database_is_named_and_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(parents=True)
    state = tmp_path / "data" / "state.sqlite"
    state.write_bytes(b"these are not the bytes of a database\n" * 200)
    with FixtureServer() as server:
        result = crawl(tmp_path, one_article_site(server, Resource(STORY)))
        asked = server.paths()
    assert result.returncode == exitcodes.CONFIG, result.log
    [line] = errors_of(result.log)
    assert line.startswith(f"error: {state}: file is not a database; move it away")
    assert asked == []


def test_a_state_file_damaged_inside_is_named_and_refused(tmp_path: Path) -> None:
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(STORY))
        assert crawl(tmp_path, sources).returncode == exitcodes.OK
        state = tmp_path / "data" / "state.sqlite"
        db = sqlite3.connect(state)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        data = bytearray(state.read_bytes())
        page = 4096
        data[page + 100 : 3 * page] = b"\xa5" * (
            2 * page - 100
        )  # garbage over the first table pages
        state.write_bytes(bytes(data))
        before = len(server.paths())
        result = crawl(tmp_path, sources)
        asked = server.paths()[before:]
    assert result.returncode == exitcodes.CONFIG, result.log
    [line] = errors_of(result.log)
    assert line.startswith(f"error: {state}: ") and "move it away" in line
    assert asked == []


def test_a_status_code_of_21_digits_is_an_error_of_its_source_not_a_crash(tmp_path: Path) -> None:
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(STORY))
        server.routes["/"] = Resource(
            pages.listing_html("Home", [(ARTICLE, "A"), (OTHER, "B")]).encode()
        )
        server.routes[OTHER] = Resource(OTHER_STORY, status=10**20)
        result = crawl(tmp_path, sources)
    assert result.returncode == exitcodes.PARTIAL, result.log
    assert "OverflowError" not in result.log and "Traceback" not in result.log
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]
    db = sqlite3.connect(result.data_dir / "state.sqlite")
    statuses = dict(db.execute("SELECT url, status FROM urls WHERE url LIKE '%/news/%'"))
    assert statuses == {server.url(ARTICLE): 200, server.url(OTHER): -1}


def test_json_ld_nested_100k_deep_is_passed_over_and_the_article_lands(tmp_path: Path) -> None:
    deep = b'<script type="application/ld+json">' + b"[" * 100_000 + b"]" * 100_000 + b"</script>"
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(STORY.replace(b"</head>", deep + b"</head>")))
        result = crawl(tmp_path, sources)
    assert result.returncode == exitcodes.OK, result.log
    assert "RecursionError" not in result.log
    assert [entry["title"] for entry in result.manifest()] == ["A story"]


def test_a_billion_laughs_sitemap_keeps_the_urls_after_the_entity_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base = "https://hostile.example"
    crawler = summarized_crawler(
        NewsSpider, f'[[source]]\nname = "hostile"\nurl = "{base}/"\n', tmp_path
    )
    spider = NewsSpider.from_crawler(crawler)
    sitemap = billion_laughs(f"{base}/x/&lol9;").replace(
        b"https://n.example/a", f"{base}{ARTICLE}".encode()
    )
    sitemap = sitemap.replace(b"https://n.example/b", f"{base}{OTHER}".encode())
    answer = response(f"{base}/sitemap.xml", sitemap, "xml", source="hostile", kind="sitemap")

    async def read() -> list[str]:
        return [request.url async for request in spider.parse_sitemap(answer)]

    with caplog.at_level(logging.INFO):
        asked = asyncio.run(read())
        crawler.signals.send_catch_log(
            signals.response_downloaded, response=answer, request=answer.request, spider=spider
        )
        end_crawl(crawler, spider)
    assert asked == [f"{base}{ARTICLE}", f"{base}{OTHER}"]  # nothing under /x/
    assert (
        f"{base}/sitemap.xml: left out 11 entity declaration(s) and entries using undeclared "
        "entities" in caplog.text
    )
    stats = crawler.stats
    assert stats.get_value("news/hostile/errors/sitemap_entities") == 1
    assert stats.get_value(exitcodes.STAT) == exitcodes.PARTIAL  # an error of the source
