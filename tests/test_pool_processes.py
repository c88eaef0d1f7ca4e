"""The extraction pool's processes: a dead worker is replaced, a stop signal stops the crawl in order, and
nothing of the crawl outlives a ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from scraper import exitcodes
from scraper.workerpool import WARC_PACKING
from sitefixture.processes import fork_servers, in_session, wait_for_pool, workers_named
from sitefixture.scrapyrun import CrawlResult, start_scrapy
from tests.conftest import TEST_SETTINGS, ServedSite, crawl


def start(workdir: Path, news_site: ServedSite, **more: str) -> subprocess.Popen[str]:
    """Start a slow crawl of the news site in its own session (its pid is the session's id)."""
    news_site.server.delay = 0.15
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sources.toml").write_text(news_site.site.source_toml(news_site.server.base_url))
    settings = {
        **TEST_SETTINGS,
        "SOURCES_FILE": str(workdir / "sources.toml"),
        "DATA_DIR": str(workdir / "data"),
        "CONCURRENT_REQUESTS": "2",
        **more,
    }
    return start_scrapy(["crawl", "news"], workdir, settings)


def wait_for_workers(process: subprocess.Popen[str]) -> list[int]:
    workers = wait_for_pool(process)
    assert workers, "the extraction pool never started"
    return workers


def left_of(session: int, seconds: float) -> dict[int, str]:
    """The processes of ``session`` still alive after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while (left := in_session(session)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def articles_asked_before(
    process: subprocess.Popen[str], news_site: ServedSite, started: Callable[[], object], what: str
) -> set[str]:
    """The articles the slow crawl ``process`` asked for before ``started()`` came true; the
    crawl is then stopped."""
    news_site.server.delay = 2.0  # the first article is asked for after 4 s, answered after 6
    deadline = time.monotonic() + 60
    while not started() and process.poll() is None:
        assert time.monotonic() < deadline, f"no {what} after 60 s"
        time.sleep(0.05)
    asked = set(news_site.server.paths())
    os.killpg(process.pid, signal.SIGINT)
    log, _ = process.communicate(timeout=120)
    assert process.returncode == exitcodes.INTERRUPTED, log[-3000:]
    return asked & set(news_site.site.corpus_paths)


def test_the_fork_server_loads_the_extraction_libraries_before_the_first_article(
    news_site: ServedSite, tmp_path: Path
) -> None:
    process = start(tmp_path, news_site)
    started = partial(fork_servers, process.pid)
    assert not articles_asked_before(process, news_site, started, "fork server")


def test_the_warc_packers_start_with_the_spider_not_with_the_first_big_response(
    news_site: ServedSite, tmp_path: Path
) -> None:
    process = start(tmp_path, news_site, WARC_PROCESSES="1")
    started = partial(workers_named, process.pid, WARC_PACKING)
    assert not articles_asked_before(process, news_site, started, "WARC packer")


def test_a_worker_killed_mid_crawl_is_replaced_and_every_article_lands(
    news_site: ServedSite, tmp_path: Path
) -> None:
    process = start(tmp_path, news_site)
    os.kill(wait_for_workers(process)[0], signal.SIGKILL)  # as the OOM killer would
    log, _ = process.communicate(timeout=180)
    result = CrawlResult(process.returncode, log, tmp_path / "data")
    assert {entry["canonical_url"] for entry in result.manifest()} == news_site.corpus_urls()
    assert process.returncode == exitcodes.OK, log[-3000:]
    assert "An extraction worker died; started a new pool" in log
    assert "  extraction: 1 worker death(s); the pages their pool held were extracted again" in log
    assert "BrokenProcessPool" not in log and "Traceback" not in log
    assert left_of(process.pid, 10) == {}


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "systemctl-stop"])
def test_a_stop_signal_to_the_process_group_stops_the_crawl_in_order(
    stop: signal.Signals, news_site: ServedSite, tmp_path: Path
) -> None:
    process = start(tmp_path, news_site)
    wait_for_workers(process)
    time.sleep(0.3)  # some articles on their way through the pool
    os.killpg(process.pid, stop)  # the terminal, systemd and timeout signal the whole group
    log, _ = process.communicate(timeout=120)
    assert process.returncode == exitcodes.INTERRUPTED, log[-3000:]
    assert "BrokenProcessPool" not in log and "Traceback" not in log, log[-3000:]
    result = CrawlResult(process.returncode, log, tmp_path / "data")
    written = result.manifest()
    assert all((result.corpus / entry["file"]).exists() for entry in written)
    assert left_of(process.pid, 10) == {}
    again = crawl(tmp_path, news_site.site.source_toml(news_site.server.base_url))
    assert again.returncode == exitcodes.OK, again.log[-3000:]
    assert {entry["canonical_url"] for entry in again.manifest()} == news_site.corpus_urls()


def test_nothing_of_the_crawl_outlives_a_kill_9(news_site: ServedSite, tmp_path: Path) -> None:
    process = start(tmp_path, news_site)
    wait_for_workers(process)
    helpers = in_session(process.pid)
    assert len(helpers) >= 4  # the crawl, the fork server, its workers, the resource tracker
    process.kill()
    process.wait(timeout=60)
    # Every helper holds the crawl's stdout: waiting for its end first would only time out on
    # a loaded machine, or on a leak, without naming what is left. A leak is forever.
    assert left_of(process.pid, 60) == {}
    process.communicate(timeout=60)
