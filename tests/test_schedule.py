"""``scrapy schedule`` runs crawls one after another, each in its own process."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from scrapy.exceptions import UsageError

from scraper import exitcodes
from scraper.commands.schedule import parse_duration
from sitefixture.scrapyrun import run_scrapy, run_signalled
from tests.conftest import TEST_SETTINGS, ServedSite


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("1.5d", 129600)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1w", "h", "-1h", "1 hour", "367d", "99999999999999999999h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="invalid duration"):
        parse_duration(text)


def test_two_scheduled_runs(news_site: ServedSite, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(news_site.site.source_toml(news_site.server.base_url))
    settings = {**TEST_SETTINGS, "SOURCES_FILE": str(sources), "DATA_DIR": str(tmp_path / "data")}
    done = run_scrapy(
        ["schedule", "--every", "1s", "--jitter", "0", "--runs", "2"],
        tmp_path,
        settings,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "[scraper.commands.schedule] INFO: Run 1 of 2 finished (exit code 0)" in done.stderr
    assert "[scraper.commands.schedule] INFO: Run 2 of 2 finished (exit code 0)" in done.stderr
    assert "Schedule ended after 2 run(s); exit code 0: ok" in done.stderr
    assert done.stderr.count("Summary per source") == 2
    summaries = [line for line in done.stderr.splitlines() if line.strip().startswith("fixture:")]
    assert "written 8," in summaries[0] and "written 0," in summaries[1]
    articles = [p for p in news_site.server.paths() if p.startswith("/news/")]
    assert len(articles) == len(set(articles))  # run 2 asked for no article again


def test_a_configuration_error_stops_the_schedule_with_its_code(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "Bad Name"\nurl = "http://127.0.0.1:9/"\n')
    settings = {**TEST_SETTINGS, "SOURCES_FILE": str(sources), "DATA_DIR": str(tmp_path / "data")}
    done = run_scrapy(
        ["schedule", "--every", "1s", "--jitter", "0", "--runs", "3"],
        tmp_path,
        settings,
        timeout=120,
    )
    assert done.returncode == exitcodes.CONFIG, done.stderr
    assert "Run 1 of 3 configuration error (exit code 2)" in done.stderr
    assert "Run 2 of 3" not in done.stderr


def schedule_signalled(site: ServedSite, workdir: Path, cues: list[str]) -> tuple[int, str]:
    """Schedule two hourly crawls of ``site``, a Ctrl-C sent at each cue of the log in turn,
    the first once the site has a request to answer."""
    sources = workdir / "sources.toml"
    sources.write_text(site.site.source_toml(site.server.base_url))
    settings = {**TEST_SETTINGS, "SOURCES_FILE": str(sources), "DATA_DIR": str(workdir / "data")}
    return run_signalled(
        ["schedule", "--every", "1h", "--runs", "2"],
        workdir,
        settings,
        [(cue, signal.SIGINT) for cue in cues],
        timeout=120,
        ready=lambda: bool(site.server.requests),
    )


def test_a_run_stopped_by_a_signal_is_reported_interrupted(
    news_site: ServedSite, tmp_path: Path
) -> None:
    news_site.server.delay = 1.0
    code, log = schedule_signalled(news_site, tmp_path, ["Spider opened"])
    assert code == exitcodes.INTERRUPTED, log
    assert "Run 1 of 2 interrupted (exit code 130)" in log
    assert "Run 1 of 2 finished" not in log
    assert "Schedule stopped by a signal after 1 run(s); exit code 130: interrupted" in log


def test_a_second_signal_forces_the_running_crawl_to_stop(
    news_site: ServedSite, tmp_path: Path
) -> None:
    news_site.server.delay = 5.0  # the graceful stop waits for the downloads in progress
    code, log = schedule_signalled(news_site, tmp_path, ["Spider opened", "stopping the crawl"])
    assert code == exitcodes.INTERRUPTED, log
    assert "Run 1 of 2: forcing the crawl's stop" in log
    assert "twice, forcing unclean shutdown" in log  # Scrapy's own line, in the crawl's log


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--every", "0"], "--every must be longer than 0"),
        (["--every", "1h", "--runs", "-3"], "--runs -3: give 0 (no end) or more"),
    ],
)
def test_a_schedule_that_cannot_work_is_a_usage_error(
    options: list[str], message: str, tmp_path: Path
) -> None:
    done = run_scrapy(["schedule", *options], tmp_path, TEST_SETTINGS)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
