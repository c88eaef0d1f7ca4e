"""EXTRACTION_BACKLOG: the crawl holds its article requests while extraction is behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scraper.downloadermiddlewares.backlog import HELD_STAT
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
