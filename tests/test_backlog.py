"""EXTRACTION_BACKLOG: the crawl holds its article requests while extraction is behind."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from scraper import meta
from scraper.downloadermiddlewares.backlog import HELD_STAT, ExtractionBacklogMiddleware
from sitefixture.settings import project_settings
from tests.conftest import ServedSite, crawl


def held(log: str) -> int:
    """How many article requests the crawl held, from its stats dump."""
    found = re.search(rf"'{re.escape(HELD_STAT)}': (\d+)", log)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("backlog", ["1", "0"], ids=["one-page", "off"])
def test_held_requests_are_fetched_once_extraction_catches_up(
    backlog: str, news_site: ServedSite, tmp_path: Path
) -> None:
    result = crawl(
        tmp_path,
        news_site.site.source_toml(news_site.server.base_url),
        {"EXTRACTION_PROCESSES": "1", "EXTRACTION_BACKLOG": backlog, "CONCURRENT_REQUESTS": "1"},
    )
    assert result.returncode == 0, result.log[-3000:]
    assert {entry["canonical_url"] for entry in result.manifest()} == news_site.corpus_urls()
    assert (held(result.log) > 0) == (backlog == "1"), result.log[-3000:]


class Gate:
    """The extraction pipeline's side of the hold: room once the gate opens."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()

    async def room(self, most: int) -> bool:
        await self.opened.wait()
        return True


def test_a_held_request_counts_as_holding_until_it_is_let_in_or_cancelled() -> None:
    """The stop line tells held requests from downloads by this count."""
    crawler = get_crawler(Spider, project_settings({}))
    middleware = ExtractionBacklogMiddleware(crawler, 1)
    gate = Gate()
    middleware.extraction = gate  # type: ignore[assignment]
    article = Request("http://127.0.0.1/a", meta={meta.KIND: "article"})

    async def hold_two_let_one_in_cancel_one() -> list[int]:
        let_in = asyncio.create_task(middleware.process_request(article))
        cancelled = asyncio.create_task(middleware.process_request(article))
        await asyncio.sleep(0)
        seen = [middleware.holding]
        cancelled.cancel()
        await asyncio.gather(cancelled, return_exceptions=True)
        seen.append(middleware.holding)
        gate.opened.set()
        await let_in
        return [*seen, middleware.holding]

    assert asyncio.run(hold_two_let_one_in_cancel_one()) == [2, 1, 0]
    assert crawler.stats.get_value(HELD_STAT) == 1
