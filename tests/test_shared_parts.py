"""The parts of the shared crawl on a real Redis server: crawl state, workers, numbers, errors."""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scraper.lock import DataDirBusy, DataDirLock
from scraper.shared.connection import Keys
from scraper.shared.outage import PatientRedis
from scraper.state import Capture, CrawlState
from sitefixture.redis import RedisServer
from sitefixture.scrapyrun import run_scrapy
from sitefixture.server import free_port
from sitefixture.settings import project_settings
from tests.redisserver import gone_worker_id, redis_server, require_redis

CAPTURE = Capture(
    "<urn:uuid:1>",
    "2026-11-20T10:00:00Z",
    "https://a.example/1",
    "sha1:X",
    "news-1.warc.gz",
    10,
    200,
)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def server(redis_url: str):  # type: ignore[no-untyped-def]
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(params=["sqlite", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        store = CrawlState(tmp_path / "state.sqlite")
    else:
        from scraper.shared.state import RedisCrawlState

        store = RedisCrawlState(request.getfixturevalue("server"), Keys("t"))
    yield store


def test_the_redis_state_answers_as_the_sqlite_one(state) -> None:  # type: ignore[no-untyped-def]
    url = "https://a.example/1"
    state.record_outcome(url, "corpus", 3)  # never fetched: nothing to update
    assert state.get(url) is None
    state.record_fetch(
        url,
        source="a",
        kind="article",
        fetched_at="2026-11-20T10:00:00Z",
        status=200,
        etag='"e1"',
        last_modified="Fri, 20 Nov 2026 10:00:00 GMT",
        capture=CAPTURE,
    )
    state.record_fetch(
        url, source="a", kind="article", fetched_at="2026-11-21T10:00:00Z", status=304
    )
    state.record_outcome(url, "corpus", 3)
    known = state.get(url)
    assert (known.status, known.etag, known.fetched_at, known.outcome, known.corpus_id) == (
        304,
        '"e1"',
        "2026-11-21T10:00:00Z",
        "corpus",
        3,
    )
    assert known.capture == CAPTURE
    state.record_fetch(
        url,
        source="a",
        kind="article",
        fetched_at="2026-11-22T10:00:00Z",
        status=200,
        capture=CAPTURE,
    )
    assert state.get(url).etag is None  # a new capture without validators drops the old ones
    state.record_fetch(
        "https://a.example/2",
        source="a",
        kind="article",
        fetched_at="2026-11-19T10:00:00Z",
        status=200,
    )
    assert list(state.articles_fetched_before("a", "2026-11-23T00:00:00")) == [
        url
    ]  # /2 has no outcome
    assert list(state.articles_fetched_before("a", "2026-11-22T00:00:00")) == []
    state.record_run("2026-11-20T10:00:00", "a", {"written": 1})
    state.record_run("2026-11-21T10:00:00", "a", {"written": 2})
    assert state.last_run("a") == ("2026-11-21T10:00:00", {"written": 2})
    assert state.recent_runs("a", 5) == [{"written": 2}, {"written": 1}]
    assert state.last_run("b") is None


def test_a_dead_workers_taken_requests_go_back_to_the_queue(server) -> None:  # type: ignore[no-untyped-def]
    from scraper.shared.workers import Workers

    keys = Keys("t")
    dead = Workers(server, keys, 60, worker=gone_worker_id())
    assert dead.join().new_run
    server.zadd(keys.requests, {b"r1": -1, b"r2": 0, b"r3": 1})
    assert dead.take() == b"r1" and dead.take() == b"r2"
    dead.done(b"r1")

    alive = Workers(server, keys, 60)
    joined = alive.join()  # the dead worker's PID is gone on this host: it is reaped at once
    assert (joined.new_run, joined.requeued, joined.queued) == (False, 1, 2)
    assert [alive.take(), alive.take(), alive.take()] == [b"r2", b"r3", None]
    assert alive.busy_elsewhere() is False
    assert alive.leave(finished=False) == 2  # interrupted: what it had taken is queued again
    assert server.zcard(keys.requests) == 2 and server.zcard(keys.workers) == 0


def test_a_dead_workers_requests_with_an_outcome_are_forgotten_not_requeued(server) -> None:  # type: ignore[no-untyped-def]
    from scraper.shared.workers import Workers

    keys = Keys("t")
    dead = Workers(server, keys, 60, worker="h-1")
    dead.join()
    server.zadd(keys.requests, {b"written": 0, b"unwritten": 1})
    assert [dead.take(), dead.take()] == [b"written", b"unwritten"]
    server.zadd(keys.workers, {"h-1": 0})  # its last beat: long ago

    alive = Workers(server, keys, 60, worker="h-2")
    assert alive.join(has_outcome=lambda encoded: encoded == b"written").requeued == 1
    assert server.zrange(keys.requests, 0, -1) == [b"unwritten"]
    assert not server.exists(keys.taken("h-1")) and not alive.busy_elsewhere()


def test_a_worker_knows_when_redis_no_longer_holds_its_run(server) -> None:  # type: ignore[no-untyped-def]
    from scraper.shared.workers import Workers

    keys = Keys("t")
    first, second = Workers(server, keys, 60, worker="h-1"), Workers(server, keys, 60, worker="h-2")
    assert first.join().new_run and not second.join().new_run
    assert first.run == second.run and first.beat() and second.beat()
    server.flushdb()  # as a server restarted without its data
    assert not first.beat() and not server.exists(keys.workers)
    third = Workers(server, keys, 60, worker="h-3")
    assert third.join().new_run and third.beat()
    assert not second.beat()  # a new run began without it: still not its run


def test_the_workers_of_one_run_add_up_to_one_run_in_the_history(server) -> None:  # type: ignore[no-untyped-def]
    from scraper.shared.state import RedisCrawlState
    from scraper.shared.workers import Workers

    keys = Keys("t")
    state = RedisCrawlState(server, keys)
    first, second = Workers(server, keys, 60, worker="h-1"), Workers(server, keys, 60, worker="h-2")
    first.join()
    second.join()
    started = first.run.split(" ")[0] if first.run else ""
    one = {"written": 2, "status": {"200": 3}, "examples": {"empty": ["u1", "u2"]}}
    two = {"written": 1, "status": {"200": 1, "404": 1}, "examples": {"empty": ["u3"]}}
    assert first.leave(finished=True) == 0
    state.record_run("2026-11-30T10:00:01+00:00", "a", one)
    assert second.leave(finished=True) == 0  # the last to leave: the run is over
    state.record_run("2026-11-30T10:00:02+00:00", "a", two)
    assert state.last_run("a") == (
        started,
        {"written": 3, "status": {"200": 4, "404": 1}, "examples": {"empty": ["u1", "u2"]}},
    )
    assert len(state.recent_runs("a", 5)) == 1

    third = Workers(server, keys, 60, worker="h-3")
    assert third.join().new_run and third.run != first.run
    state.record_run("2026-11-30T11:00:00+00:00", "a", {"written": 0})
    newest, earlier = state.recent_runs("a", 5)
    assert newest == {"written": 0} and earlier["written"] == 3


def test_max_articles_counts_what_every_worker_of_the_run_asked_for(server) -> None:  # type: ignore[no-untyped-def]
    from scraper.shared.asked import SharedAsked
    from scraper.shared.workers import Workers

    keys = Keys("t")
    first, second = Workers(server, keys, 60, worker="h-1"), Workers(server, keys, 60, worker="h-2")
    first.join()
    second.join()
    one, two = SharedAsked(server, *keys.asked), SharedAsked(server, *keys.asked)
    asked = [one.ask("a", "/1", 3), two.ask("a", "/2", 3), one.ask("a", "/3", 3)]
    assert asked == [True, True, True]
    assert not two.ask("a", "/4", 3)  # the run has its three
    assert two.ask("a", "/1", 3)  # asked already (by the other worker): not counted again
    assert one.ask("b", "/1", 3) and two.ask("a", "/5", 0)  # another source; no limit
    first.leave(finished=True)
    second.leave(finished=True)
    third = Workers(server, keys, 60, worker="h-3")
    assert third.join().new_run
    assert SharedAsked(server, *keys.asked).ask("a", "/4", 3)  # a new run asks anew


class Killed(BaseException):
    """The process of the client is killed: nothing after it runs."""


class DiesAfterCommands(PatientRedis):
    """A client whose process is killed once ``lives`` more commands have reached Redis."""

    lives: int | None = None

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.lives is not None:
            if self.lives == 0:
                raise Killed
            self.lives -= 1
        return super().execute_command(*args, **options)


@pytest.mark.parametrize("lives", range(4))
def test_a_worker_killed_while_it_queues_a_link_never_leaves_it_seen_but_unqueued(
    server, redis_url: str, lives: int
) -> None:  # type: ignore[no-untyped-def]
    from scrapy import Request, Spider
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler, get_reactor_settings
    from scrapy_redis.scheduler import Scheduler

    from scraper.shared.config import share_through_redis
    from scraper.shared.scheduler import SharedScheduler

    overrides = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": "t"}
    settings = Settings(project_settings(overrides))
    share_through_redis(settings)
    params = {**settings.getdict("REDIS_PARAMS"), "redis_cls": DiesAfterCommands}
    settings.set("REDIS_PARAMS", params, priority="cmdline")
    crawler = get_crawler(Spider, {**settings.copy_to_dict(), **get_reactor_settings()})
    scheduler = SharedScheduler.from_crawler(crawler)
    # The queue and the seen-set, without joining the crawl: as if the run were the one in Redis.
    Scheduler.open(scheduler, Spider.from_crawler(crawler, "t"))
    server.set(Keys("t").run, "START 1")
    scheduler.workers.run = "START 1"
    assert isinstance(scheduler.server, DiesAfterCommands)
    scheduler.server.lives = lives
    with contextlib.suppress(Killed):
        scheduler.enqueue_request(Request("https://a.example/listing?page=2"))
    keys = Keys("t")
    assert bool(server.scard(keys.seen)) == bool(server.zcard(keys.requests)), lives
    if lives == 3:  # enough for the whole offer (the script loaded, then run)
        assert server.zcard(keys.requests) == 1


def test_a_link_is_not_queued_into_a_redis_that_lost_the_run(server) -> None:  # type: ignore[no-untyped-def]
    from scraper.shared.offer import Offered, QueueOffer

    keys = Keys("t")
    offer = QueueOffer(server, keys.seen, keys.requests, keys.run)
    server.set(keys.run, "START 1")
    assert offer("f1", 0, b"r1", "START 1") is Offered.QUEUED
    assert offer("f1", 0, b"r1", "START 1") is Offered.SEEN
    server.flushdb()  # restarted without its data
    assert offer("f2", 0, b"r2", "START 1") is Offered.RUN_LOST
    server.set(keys.run, "START 2")  # a new run began without this worker
    assert offer("f2", 0, b"r2", "START 1") is Offered.RUN_LOST
    assert not server.exists(keys.seen, keys.requests)


def test_a_new_run_starts_with_an_empty_seen_set_and_numbers_go_on(server) -> None:  # type: ignore[no-untyped-def]
    from scraper.shared.numbers import SharedNumbers
    from scraper.shared.workers import Workers

    keys = Keys("t")
    server.sadd(keys.seen, "fingerprint")
    numbers = SharedNumbers(server, keys.corpus_numbers)
    assert [numbers(5), numbers(0), numbers(0)] == [5, 6, 7]  # starts past what the corpus holds
    first = Workers(server, keys, 60, worker="h-1")
    assert first.join().new_run and not server.exists(keys.seen)
    server.sadd(keys.seen, "fingerprint")
    assert not Workers(server, keys, 60, worker="h-2").join().new_run  # h-1 is alive
    assert server.exists(keys.seen)
    assert numbers(0) == 8


def test_an_unreachable_redis_stops_the_crawl_with_its_url(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n')
    url = f"redis://127.0.0.1:{free_port()}/0"
    done = run_scrapy(
        ["crawl", "news"], tmp_path, {"REDIS_URL": url, "DATA_DIR": str(tmp_path / "data")}
    )
    assert done.returncode == 3
    assert f"error: cannot reach Redis at {url}: " in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("url", "shown_url", "reason"),
    [
        ("http://127.0.0.1:6379/0", "http://127.0.0.1:6379/0", "must specify one of"),
        ("redis://:s3cret@127.0.0.1:abc/0", "redis://127.0.0.1:abc/0", "'abc'"),
    ],
)
def test_a_redis_url_that_is_no_redis_url_is_a_configuration_error(
    tmp_path: Path, url: str, shown_url: str, reason: str
) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n')
    done = run_scrapy(
        ["crawl", "news"], tmp_path, {"REDIS_URL": url, "DATA_DIR": str(tmp_path / "data")}
    )
    assert done.returncode == 2, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, done.stderr[-3000:]
    assert lines[0].startswith(f"error: REDIS_URL '{shown_url}' is not a Redis URL: ")
    assert reason in lines[0]
    assert "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("wrong", "told"),
    [
        ((":s3cret@", ":wrong@"), "refused REDIS_URL's password or database"),
        ((":s3cret@", ""), "refused REDIS_URL's password or database"),  # none given
        (("/0", "/99"), "refused REDIS_URL's password or database"),
        (("/0", "/x"), "the database 'x' is no number"),
    ],
    ids=["wrong-password", "no-password", "no-such-database", "database-no-number"],
)
def test_a_wrong_password_or_database_is_a_configuration_error(
    tmp_path: Path, wrong: tuple[str, str], told: str
) -> None:
    require_redis()
    server = RedisServer(tmp_path, password="s3cret")
    server.start()
    try:
        url = server.url.replace(*wrong)
        (tmp_path / "sources.toml").write_text(
            '[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n'
        )
        done = run_scrapy(
            ["crawl", "news"], tmp_path, {"REDIS_URL": url, "DATA_DIR": str(tmp_path / "data")}
        )
    finally:
        server.stop()
    assert done.returncode == 2, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and told in lines[0], done.stderr[-3000:]
    assert "wrong" not in done.stderr and "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_shared_crawl_has_one_name_however_its_url_is_written() -> None:
    from scrapy.settings import Settings

    from scraper.shared.connection import crawl_name

    def name(url: str, prefix: str = "news") -> str:
        return crawl_name(Settings({"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}))

    same = "news at redis://127.0.0.1:6379/0"
    assert name("redis://127.0.0.1:6379/0") == same
    assert name("redis://127.0.0.1") == same
    assert name("redis://:s3cret@127.0.0.1:6379/") == same
    assert name("redis://127.0.0.1:6380/0") != same
    assert name("redis://127.0.0.1:6379/1") != same
    assert name("redis://127.0.0.1:6379/0", "other") != same
    assert name("redis://[::1]:6379") == "news at redis://[::1]:6379/0"


def test_workers_share_the_data_dir_lock_and_a_lone_crawl_waits_for_them(tmp_path: Path) -> None:
    crawl = "news at redis://127.0.0.1:6379/0"
    first = DataDirLock(tmp_path, shared=crawl).acquire()
    second = DataDirLock(tmp_path, shared=crawl).acquire()
    with pytest.raises(DataDirBusy, match=f"workers of the shared crawl {crawl} are using"):
        DataDirLock(tmp_path).acquire()
    # Another shared crawl would number its articles from another counter: not here.
    with pytest.raises(DataDirBusy, match=f"workers of the shared crawl {crawl} are using"):
        DataDirLock(tmp_path, shared="other at redis://127.0.0.1:6379/0").acquire()
    first.release()
    with pytest.raises(DataDirBusy):  # the second still holds it
        DataDirLock(tmp_path).acquire()
    third = DataDirLock(tmp_path, shared=crawl).acquire()
    second.release()
    with pytest.raises(DataDirBusy):  # the third still holds it
        DataDirLock(tmp_path).acquire()
    third.release()
    alone = DataDirLock(tmp_path).acquire()
    with pytest.raises(DataDirBusy, match=rf"another crawl \(pid {os.getpid()}\)"):
        DataDirLock(tmp_path, shared=crawl).acquire()
    alone.release()
    other = DataDirLock(tmp_path, shared="other at redis://127.0.0.1:6379/0").acquire()
    other.release()  # once its workers are gone, the folder is free for another crawl


def test_a_redis_url_is_shown_without_its_password() -> None:
    from scraper.shared.outage import shown

    assert shown("redis://:pw@10.0.0.1:6379/0") == "redis://10.0.0.1:6379/0"
    assert shown("rediss://user:pw@host/2") == "rediss://user@host/2"
    assert shown("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


class RestartsAfterEachLoad(PatientRedis):
    """A server that restarts, forgetting its scripts, right after the next ``restarts`` loads."""

    restarts = 0

    def script_load(self, script: Any) -> Any:
        sha = super().script_load(script)
        if self.restarts:
            self.restarts -= 1
            self.script_flush()
        return sha


def test_a_script_is_loaded_again_as_often_as_a_restarted_redis_forgot_it(
    server, redis_url: str
) -> None:  # type: ignore[no-untyped-def]
    client = RestartsAfterEachLoad.from_url(redis_url)
    script = client.register_script("return redis.call('INCR', KEYS[1])")
    assert script(keys=["n"]) == 1
    client.script_flush()  # a restart between two calls
    client.restarts = 3  # and three more, each between the load and the call
    assert script(keys=["n"]) == 2
    assert server.get("n") == b"2"


def test_an_outage_is_ridden_out_with_backoff_then_given_up_on_once() -> None:
    import redis

    from scraper.shared.outage import Outage, RedisUnreachable

    failures = iter([redis.ConnectionError("refused")] * 3)

    def flaky() -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return "PONG"

    told: list[str] = []
    outage = Outage("redis://:pw@127.0.0.1:1/0", timeout=5)
    outage.listeners.append(told.append)
    started = time.monotonic()
    assert outage.call(flaky) == "PONG"
    assert 0.6 <= time.monotonic() - started < 3  # waited 0.1 + 0.2 + 0.4 s
    assert outage.down_since is None and not told

    def down() -> str:
        raise redis.ConnectionError("refused")

    outage.timeout = 0.5
    with pytest.raises(RedisUnreachable, match=r"Redis at redis://127.0.0.1:1/0 unreachable"):
        outage.call(down)
    started = time.monotonic()
    with pytest.raises(RedisUnreachable):
        outage.call(down)  # given up: at once
    assert time.monotonic() - started < 0.1
    assert len(told) == 1 and "pw" not in told[0]


def test_right_after_an_outage_an_old_heartbeat_is_no_sign_of_death(server, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    from scraper.shared.outage import PatientRedis
    from scraper.shared.workers import Workers

    keys = Keys("t")
    patient = PatientRedis.from_url(redis_url)
    server.zadd(keys.workers, {"elsewhere-1": 0})  # another machine's worker, silent for long
    alive = Workers(patient, keys, 60, worker="h-2")
    patient.outage.back_at = time.monotonic()  # this worker waited for Redis until just now
    try:
        assert alive.dead() == []
    finally:
        patient.outage.back_at = None
    assert alive.dead() == ["elsewhere-1"]
    patient.close()


def test_a_worker_joining_a_run_with_queued_requests_warns_of_nothing(
    server, redis_url: str
) -> None:  # type: ignore[no-untyped-def]
    from scrapy import Request, Spider
    from scrapy.exceptions import ScrapyDeprecationWarning
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler, get_reactor_settings

    from scraper.shared.config import share_through_redis
    from scraper.shared.scheduler import SharedScheduler

    settings = Settings(project_settings({"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": "joins"}))
    share_through_redis(settings)
    crawler = get_crawler(Spider, {**settings.copy_to_dict(), **get_reactor_settings()})
    first = SharedScheduler.from_crawler(crawler)
    first.open(Spider.from_crawler(crawler, "t"))
    first.enqueue_request(Request("http://127.0.0.1:9/listing?page=2"))
    second = SharedScheduler.from_crawler(crawler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second.open(Spider.from_crawler(crawler, "t"))
    assert len(second.queue) == 1
    assert not [w for w in caught if issubclass(w.category, ScrapyDeprecationWarning)]
    for scheduler in (second, first):  # without an engine to close them with
        scheduler._heartbeat.stop()
        scheduler._wake.stop()
