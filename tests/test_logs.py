"""What a crawl and the commands print: the summary last, what a stop waits for, readable help."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from sitefixture.scrapyrun import run_scrapy, run_signalled
from tests.conftest import TEST_SETTINGS, ServedSite, crawl

COMMANDS = ["addsource", "checksource", "replay", "schedule", "serve", "sources", "wacz"]


def test_the_summary_comes_after_the_stats_dump(news_site: ServedSite, tmp_path: Path) -> None:
    result = crawl(tmp_path, news_site.site.source_toml(news_site.server.base_url))
    log = result.log
    assert (
        log.index("Dumping Scrapy stats")
        < log.index("Summary per source")
        < log.index("Exit code 0: ok")
    )
    assert log.rstrip().endswith("Exit code 0: ok")


def test_a_graceful_stop_says_what_it_waits_for(news_site: ServedSite, tmp_path: Path) -> None:
    news_site.server.delay = 1.0
    sources = tmp_path / "sources.toml"
    sources.write_text(news_site.site.source_toml(news_site.server.base_url))
    settings = {**TEST_SETTINGS, "SOURCES_FILE": str(sources), "DATA_DIR": str(tmp_path / "data")}
    code, log = run_signalled(
        ["crawl", "news"], tmp_path, settings, [("Source fixture:", signal.SIGTERM)]
    )
    assert code == 130, log
    stopping = re.search(
        r"Stopping: (\d+) queued request\(s\) not sent \(the next run asks for them\); waiting "
        r"for (\d+) download\(s\) in progress, (\d+) article request\(s\) held until extraction "
        r"has room, and (\d+) page\(s\)",
        log,
    )
    assert stopping, log
    assert log.index("Stopping: ") < log.index("Summary per source")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_only_its_three_headings(command: str, tmp_path: Path) -> None:
    for columns in (80, 100):
        os.environ["COLUMNS"] = str(columns)
        try:
            done = run_scrapy([command, "--help"], tmp_path, {})
        finally:
            del os.environ["COLUMNS"]
        headings = [
            line
            for line, under in zip(done.stdout.splitlines(), done.stdout.splitlines()[1:])
            if re.fullmatch(r"[=-]+", under)
        ]
        assert headings == ["Usage", "Options", "Global Options"], (
            f"{columns} columns:\n{done.stdout}"
        )
