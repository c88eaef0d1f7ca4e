"""A shared crawl's worker rides out a Redis outage, or stops cleanly when Redis stays away."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from corpus.store import read_manifest
from scraper.exitcodes import UNAVAILABLE
from scraper.shared.connection import socket_timeout
from scraper.shared.outage import shown
from sitefixture.redis import RedisServer
from tests.conftest import ServedSite, warcio_check
from tests.redisserver import require_redis
from tests.test_shared_crawl import Worker, assert_complete_corpus, start_worker, wait_for


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    require_redis()
    redis = RedisServer(tmp_path, password="s3cret")
    redis.start()
    yield redis
    if redis.process is not None and redis.process.poll() is None:
        redis.stop()


def written(data: Path) -> int:
    manifest = data / "corpus" / "index.jsonl"
    return len(list(read_manifest(data / "corpus"))) if manifest.exists() else 0


def outage_worker(
    site: ServedSite, tmp_path: Path, server: RedisServer, **settings: str
) -> tuple[Worker, Path]:
    """A worker crawling ``site`` (slowed down) through ``server``; it and its DATA_DIR."""
    site.server.delay = 0.3
    data = tmp_path / "data"
    sources = site.site.source_toml(site.server.base_url)
    return start_worker(tmp_path / "w", data, sources, server.url, "outage", "w", **settings), data


#: Seconds a request sent before the give-up may take to reach the fixture server.
SENDING = 0.3
#: Seconds the test may see the give-up late: its polls of the log, a loaded machine.
POLL_SLACK = 2.0
#: Seconds a worker may take to close after giving up (the archive, the extraction processes).
SHUTDOWN = 15.0


def given_up_at(worker: Worker) -> float:
    """The monotonic time, at most a poll late, when the worker logged that it gave up on Redis."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if "the crawl stops" in worker.log.read_text():
            return time.monotonic()
        if worker.process.poll() is not None:
            raise AssertionError(worker.log.read_text()[-3000:])
        time.sleep(0.02)
    raise AssertionError("the worker never gave up on Redis")


def test_a_worker_waits_for_redis_to_come_back_and_finishes_the_crawl(
    news_site: ServedSite, tmp_path: Path, server: RedisServer
) -> None:
    worker, data = outage_worker(news_site, tmp_path, server, REDIS_OUTAGE_TIMEOUT="60")
    wait_for(lambda: written(data) >= 1, worker)
    server.stop(save=True)
    time.sleep(12)  # longer than redis-py's own retries (3, about 7 s in all)
    server.start()
    assert worker.wait() == 0, worker.log.read_text()[-3000:]
    log = worker.log.read_text()
    assert f"Redis at {shown(server.url)} does not answer" in log
    assert f"Redis at {shown(server.url)} is back after" in log
    assert "Traceback" not in log
    assert_complete_corpus(news_site, data)
    assert not warcio_check(sorted((data / "archive").glob("*.warc.gz")))


def test_a_worker_stops_cleanly_when_redis_stays_away(
    news_site: ServedSite, tmp_path: Path, server: RedisServer
) -> None:
    worker, data = outage_worker(
        news_site,
        tmp_path,
        server,
        REDIS_OUTAGE_TIMEOUT="2",
        # Requests wait in the downloader's queue for their turn when Redis is given up on.
        DOWNLOAD_DELAY="0.5",
        CONCURRENT_REQUESTS="16",
    )
    wait_for(lambda: written(data) >= 1, worker)
    before = {entry["file"] for entry in read_manifest(data / "corpus")}
    server.stop()
    gave_up = given_up_at(worker)
    assert worker.wait() == UNAVAILABLE, worker.log.read_text()[-3000:]
    log = worker.log.read_text()
    # Once the crawl gave up on Redis, the site sees no new request (one already sent may land).
    late = [r.path for r in news_site.server.requests if r.at > gave_up + SENDING]
    assert not late, late
    assert re.search(r"'shared/not_downloaded': [1-9]", log)  # those it had queued, counted
    url = f"redis://127.0.0.1:{server.port}/0"
    assert shown(server.url) == url  # the password is not shown
    stops = [line for line in log.splitlines() if "the crawl stops" in line]
    assert len(stops) == 1, stops  # the failing writes after it are counted, not told again
    assert f" ERROR: Redis at {url} unreachable for 2 s (REDIS_OUTAGE_TIMEOUT 2 s): " in stops[0]
    assert "s3cret" not in log
    assert f"Exit code {UNAVAILABLE}: Redis unreachable or lost the crawl" in log
    assert "'shared/redis_unreachable': 1" in log
    assert re.search(r"fixture: .*errors [1-9]", log)  # what Redis refused, in the summary
    assert "Traceback" not in log
    # What was written stays written, whole; the WARC file is closed and reads back.
    after = {entry["file"] for entry in read_manifest(data / "corpus")}
    assert before <= after
    assert {path.name for path in (data / "corpus").glob("*.txt")} == after
    assert not list((data / "archive").glob("*.open"))
    assert not warcio_check(sorted((data / "archive").glob("*.warc.gz")))


def test_a_worker_gives_up_on_a_hung_redis_within_the_outage_timeout(
    news_site: ServedSite, tmp_path: Path, server: RedisServer
) -> None:
    timeout = 4
    worker, data = outage_worker(news_site, tmp_path, server, REDIS_OUTAGE_TIMEOUT=str(timeout))
    wait_for(lambda: written(data) >= 1, worker)
    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)  # it keeps its port but answers nothing
    try:
        hung = time.monotonic()
        gave_up = given_up_at(worker)
        code = worker.wait()
        exited = time.monotonic()
    finally:
        server.process.send_signal(signal.SIGCONT)
    log = worker.log.read_text()
    assert code == UNAVAILABLE, log[-3000:]
    # The outage counts from the command that hung; that one and the last try each wait at
    # most the socket timeout.
    bound = timeout + 2 * socket_timeout(timeout)
    assert gave_up - hung <= bound + POLL_SLACK, log[-3000:]
    # No command waits on the hung server after the give-up: the shutdown is as quick as ever.
    assert exited - gave_up <= SHUTDOWN, log[-3000:]
    assert f"Redis at {shown(server.url)} unreachable for " in log
    assert "Traceback" not in log
    assert not list((data / "archive").glob("*.open"))
    assert not warcio_check(sorted((data / "archive").glob("*.warc.gz")))


def test_a_worker_stops_when_redis_comes_back_without_the_crawl(
    news_site: ServedSite, tmp_path: Path, server: RedisServer
) -> None:
    """A Redis restarted without its data has lost the queue, the seen-set and the crawl state:
    the worker says so and stops, instead of crawling on into an empty server."""
    worker, data = outage_worker(
        news_site, tmp_path, server, REDIS_OUTAGE_TIMEOUT="60", REDIS_WORKER_TIMEOUT="5"
    )
    wait_for(lambda: written(data) >= 1, worker)
    before = {entry["file"] for entry in read_manifest(data / "corpus")}
    server.stop()  # without saving: it comes back empty
    server.start()
    told = f"Redis at {shown(server.url)} no longer holds the shared crawl outage "
    wait_for(lambda: told in worker.log.read_text(), worker)
    client = redis.Redis.from_url(server.url)
    # It queues no link there, before its next heartbeat as after, and once it knows it writes
    # nothing more: the next start begins a new run rather than the lost one's rest.
    known = {key: client.type(key) for key in client.scan_iter()}
    assert worker.wait() == UNAVAILABLE, worker.log.read_text()[-3000:]
    log = worker.log.read_text()
    assert "'shared/run_lost': 1" in log
    assert f"Exit code {UNAVAILABLE}: Redis unreachable or lost the crawl" in log
    assert "Traceback" not in log
    assert set(client.scan_iter()) <= set(known), known
    assert not client.exists("outage:requests", "outage:seen")
    assert before <= {entry["file"] for entry in read_manifest(data / "corpus")}
    assert not list((data / "archive").glob("*.open"))
    assert not warcio_check(sorted((data / "archive").glob("*.warc.gz")))


def test_a_worker_stops_cleanly_when_redis_is_full(
    news_site: ServedSite, tmp_path: Path, server: RedisServer
) -> None:
    """A Redis at its maxmemory refuses every write: one line naming it, exit 69, no traceback."""
    worker, data = outage_worker(news_site, tmp_path, server)
    wait_for(lambda: written(data) >= 1, worker)
    redis.Redis.from_url(server.url).config_set("maxmemory", 1)  # full from now on
    assert worker.wait() == UNAVAILABLE, worker.log.read_text()[-3000:]
    log = worker.log.read_text()
    errors = [line for line in log.splitlines() if " ERROR: " in line]
    told = f"Redis at {shown(server.url)} refuses writes: "
    assert told in errors[0] and "'maxmemory'" in errors[0] and "the crawl stops" in errors[0]
    # Then only what it cost: the figures of the run.
    assert [line for line in errors[1:] if told not in line] == [], errors
    assert len(errors) <= 2 and "cannot be reached" not in log, errors
    assert "Traceback" not in log
    assert f"Exit code {UNAVAILABLE}: Redis unreachable or lost the crawl" in log
    assert not list((data / "archive").glob("*.open"))
    assert not warcio_check(sorted((data / "archive").glob("*.warc.gz")))
