"""``scrapy schedule`` runs crawls one after another, each in its own process."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import UsageError

from scraper.commands.schedule import parse_duration
from sitefixture.scrapyrun import run_scrapy
from tests.conftest import TEST_SETTINGS, ServedSite


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("1.5d", 129600)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1w", "h", "-1h", "1 hour"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="invalid duration"):
        parse_duration(text)


def test_two_scheduled_runs(news_site: ServedSite, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(news_site.site.source_toml(news_site.server.base_url))
    settings = {**TEST_SETTINGS, "SOURCES_FILE": str(sources), "DATA_DIR": str(tmp_path / "data")}
    done = run_scrapy(["schedule", "--every", "1s", "--jitter", "0", "--runs", "2"], tmp_path, settings, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "[schedule] run 1 of 2 finished" in done.stderr
    assert "[schedule] run 2 of 2 finished" in done.stderr
    assert done.stderr.count("Summary per source") == 2
    summaries = [line for line in done.stderr.splitlines() if line.strip().startswith("fixture:")]
    assert "written 8," in summaries[0] and "written 0," in summaries[1]
    articles = [p for p in news_site.server.paths() if p.startswith("/news/")]
    assert len(articles) == len(set(articles))  # run 2 asked for no article again
