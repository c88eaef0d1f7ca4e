"""Several workers of a shared crawl reach a host as one polite crawler (seen from the server):
the delay between all their requests, their concurrency, robots.txt fetched once."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
import redis

from scraper.shared.connection import Keys
from scraper.shared.politeness import SharedSlots
from scraper.shared.robots import RULES, RobotsOutcome, SharedRobots
from scraper.shared.workers import Workers
from sitefixture import Resource
from sitefixture.scrapyrun import start_scrapy
from tests.conftest import TEST_SETTINGS, ServedSite, crawl, slow_and_fast
from tests.redisserver import answers_held_until_all_joined, gone_worker_id, redis_server

WORKERS = 3
#: Between the start Redis grants and the request reaching the server, a worker busy on a
#: loaded machine can spend some time (over 100 ms seen with 4 workers on 2 shared cores, and
#: about 40 ms with one Scrapy alone): two requests can come this much closer than the delay.
MARGIN = 0.25


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def run_workers(
    site: ServedSite, tmp_path: Path, redis_url: str, settings: dict[str, str]
) -> list[str]:
    """Run ``WORKERS`` workers of one shared crawl of ``site`` to the end; return their logs."""
    sources = site.site.source_toml(site.server.base_url)
    with answers_held_until_all_joined(site.server) as processes:
        for n in range(WORKERS):
            workdir = tmp_path / f"w{n}"
            workdir.mkdir()
            (workdir / "sources.toml").write_text(sources)
            log = workdir / "crawl.log"
            worker_settings = {
                **TEST_SETTINGS,
                "SOURCES_FILE": str(workdir / "sources.toml"),
                # One DATA_DIR each: no worker waits for the others' corpus lock.
                "DATA_DIR": str(workdir / "data"),
                "REDIS_URL": redis_url,
                "REDIS_KEY_PREFIX": f"t-{tmp_path.name}",
                "REDIS_IDLE_TIMEOUT": "2",
                "REDIS_WORKER_TIMEOUT": "10",
                "CONCURRENT_REQUESTS": "4",
                **settings,
            }
            processes.append((start_scrapy(["crawl", "news"], workdir, worker_settings, log), log))
    logs = []
    for process, log in processes:
        code = process.wait(180)
        logs.append(log.read_text())
        assert code == 0, logs[-1][-3000:]
    took_part = [
        int(m.group(1)) for m in (re.search(r"'shared/taken': (\d+)", t) for t in logs) if m
    ]
    assert len(took_part) >= 2, "fewer than two workers took requests: nothing was shared"
    return logs


def test_workers_keep_the_download_delay_between_all_their_requests(
    news_site: ServedSite, tmp_path: Path, redis_url: str
) -> None:
    delay = 0.6
    run_workers(
        news_site,
        tmp_path,
        redis_url,
        {"DOWNLOAD_DELAY": str(delay), "DOWNLOAD_DELAY_JITTER": "0"},
    )
    starts = sorted(request.at for request in news_site.server.requests)
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    assert len(gaps) > 10
    assert min(gaps) >= delay - MARGIN, sorted(gaps)[:5]


def test_workers_keep_a_robots_txt_crawl_delay_between_all_their_requests(
    news_site: ServedSite, tmp_path: Path, redis_url: str
) -> None:
    delay = 0.6
    robots = news_site.server.routes["/robots.txt"]
    robots.body += f"\nUser-agent: *\nCrawl-delay: {delay}\n".encode()
    run_workers(
        news_site,
        tmp_path,
        redis_url,
        {
            "DOWNLOAD_DELAY": "0",
            "AUTOTHROTTLE_ENABLED": "True",
            "AUTOTHROTTLE_START_DELAY": "0",
            # One host behind a delay: a worker could hold every request of it, which keeps the
            # pace but leaves no request to the others, whose delay this test is about.
            "REDIS_HELD_MAX": "2",
        },
    )
    starts = sorted(request.at for request in news_site.server.requests)
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    assert len(gaps) > 10
    assert min(gaps) >= delay - MARGIN, sorted(gaps)[:5]


def test_workers_keep_the_concurrency_per_domain_between_them(
    news_site: ServedSite, tmp_path: Path, redis_url: str
) -> None:
    news_site.server.delay = 0.3  # every answer takes this long: requests overlap unless held back
    run_workers(
        news_site,
        tmp_path,
        redis_url,
        {"DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "2"},
    )
    assert news_site.server.peak_in_flight == 2


def test_a_host_behind_a_crawl_delay_leaves_a_workers_downloader_to_other_sources(
    tmp_path: Path, redis_url: str
) -> None:
    """The shared queue is one first-in-first-out queue for every host: taken in its order,
    the slow site's articles, queued first, filled the downloader, and the fast site's waited
    their turn behind them."""
    shared = {
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"t-{tmp_path.name}",
        "REDIS_IDLE_TIMEOUT": "2",
        "CONCURRENT_REQUESTS": "4",
    }
    with slow_and_fast(late="fast") as sites:
        result = crawl(tmp_path, sites.sources(), shared)
        assert result.returncode == 0, result.log
        assert sites.fast_done_early()
    assert "'shared/held'" in result.log


def test_a_retry_after_pauses_the_host_for_every_worker(
    news_site: ServedSite, tmp_path: Path, redis_url: str
) -> None:
    answer, pause = 0.3, 3.0
    # A start granted before the worker that got the 503 paused the host may still land.
    settling = 1.0
    news_site.server.delay = answer  # the crawl lasts: the other workers have requests to make
    path = news_site.site.corpus_paths[-1]
    news_site.server.routes[path].faults = [
        Resource(b"busy", status=503, headers=[("Retry-After", str(int(pause)))])
    ]
    run_workers(news_site, tmp_path, redis_url, {"DOWNLOAD_DELAY": "0"})
    requests = news_site.server.requests
    asked = [request.at for request in requests if request.path == path]
    assert len(asked) == 2  # the 503, then its retry
    answered = asked[0] + answer
    # Its retry, whichever worker took it, and every other request waited for the pause.
    assert asked[1] >= answered + pause - MARGIN, asked[1] - answered
    during = [
        request.path
        for request in requests
        if answered + settling < request.at < answered + pause - MARGIN
    ]
    assert not during


def stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def test_robots_txt_is_fetched_once_per_run_by_all_the_workers(
    news_site: ServedSite, tmp_path: Path, redis_url: str
) -> None:
    news_site.server.delay = 0.2  # the answers take a while: the requests spread over the workers
    refused = news_site.site.corpus_paths[-1]
    news_site.server.routes["/robots.txt"].body += f"User-agent: *\nDisallow: {refused}\n".encode()
    logs = run_workers(news_site, tmp_path, redis_url, {})
    paths = news_site.server.paths()
    assert paths.count("/robots.txt") == 1, [stat(log, "robotstxt/request_count") for log in logs]
    assert sum(stat(log, "robotstxt/shared") for log in logs) >= 1
    # Its rules hold in every worker, and its Sitemap: line was followed once.
    assert refused not in paths
    assert sum(stat(log, "robotstxt/forbidden") for log in logs) == 1
    assert paths.count("/sitemap_index.xml") == 1


def test_a_dead_workers_requests_in_flight_end_with_their_lease(redis_url: str) -> None:
    server = redis.Redis.from_url(redis_url)
    dead = SharedSlots(server, "lease", "dead-1")
    alive = SharedSlots(server, "lease", "alive-2")
    turn, _ = dead.take("host", 0.0, publish=True, jitter_factor=1.0, concurrency=1, lease=0.3)
    assert turn.granted
    refused, _ = alive.take("host", 0.0, publish=False, jitter_factor=1.0, concurrency=1, lease=0.3)
    assert not refused.granted and alive.in_flight("host") == 1
    time.sleep(0.4)
    granted, token = alive.take(
        "host", 0.0, publish=False, jitter_factor=1.0, concurrency=1, lease=0.3
    )
    assert granted.granted and alive.in_flight("host") == 1
    alive.release("host", token)
    assert alive.in_flight("host") == 0


def test_reaping_a_dead_worker_ends_its_leases_and_robots_claims_at_once(redis_url: str) -> None:
    """A host a dead worker was downloading from, or fetching robots.txt of, is free as soon as
    a survivor reaps it, not only once the lease or claim (download timeout + margin) ends."""
    server = redis.Redis.from_url(redis_url)
    keys = Keys("reaped[1]*")  # glob characters in the key prefix stand for themselves
    dead = Workers(server, keys, 60, worker=gone_worker_id())
    dead.join()
    held = SharedSlots(server, keys.prefix, dead.id)
    other = SharedSlots(server, keys.prefix, f"{dead.id}.example-1")  # an id that starts alike
    for slot in ("a.example", "b.example"):
        turn, _ = held.take(slot, 0.0, publish=True, jitter_factor=1.0, concurrency=2, lease=600)
        assert turn.granted
    kept, _ = other.take(
        "a.example", 0.0, publish=False, jitter_factor=1.0, concurrency=2, lease=600
    )
    assert kept.granted
    assert SharedRobots(server, keys.robots, dead.id).claim("a.example", 600)
    assert SharedRobots(server, keys.robots, f"{dead.id}.example-1").claim("b.example", 600)

    Workers(server, keys, 60).join()  # reaps the dead worker (its PID is gone on this host)
    assert SharedRobots(server, keys.robots, "survivor").claim("a.example", 600)
    assert not SharedRobots(server, keys.robots, "survivor").claim("b.example", 600)
    assert held.in_flight("a.example") == 1 and held.in_flight("b.example") == 0
    assert [m.decode() for m in server.zrange(f"{keys.prefix}:slot:a.example:flight", 0, -1)] == [
        f"{dead.id}.example-1:1"
    ]


def test_a_pause_holds_every_worker_and_the_delay_is_agreed(redis_url: str) -> None:
    server = redis.Redis.from_url(redis_url)
    first = SharedSlots(server, "agree", "a-1")
    second = SharedSlots(server, "agree", "b-2")
    turn, _ = first.take("host", 1.5, publish=False, jitter_factor=1.0, concurrency=4, lease=30)
    assert turn.granted and turn.delay == 1.5
    # A worker that starts with another delay (AutoThrottle's start delay) adopts the agreed one.
    turn, _ = second.take("host", 5.0, publish=False, jitter_factor=1.0, concurrency=4, lease=30)
    assert not turn.granted and turn.delay == 1.5 and 1.0 < turn.wait <= 1.5
    # AutoThrottle measured a new delay on one worker: it is published for all.
    turn, _ = second.take("host", 0.2, publish=True, jitter_factor=1.0, concurrency=4, lease=30)
    assert turn.delay == 0.2
    second.pause("host", 2.0)
    turn, _ = first.take("host", 0.2, publish=False, jitter_factor=1.0, concurrency=4, lease=30)
    assert not turn.granted and 1.5 < turn.wait <= 2.0


def test_the_shared_robots_txt_lasts_one_run(redis_url: str) -> None:
    server = redis.Redis.from_url(redis_url)
    keys = Keys("robots-run")
    robots = SharedRobots(server, keys.robots, "h-1")
    first = Workers(server, keys, 60, worker="h-1")
    assert first.join().new_run
    assert robots.claim("site:80", 60) and not robots.claim("site:80", 60)
    robots.publish("site:80", RobotsOutcome(RULES, b"User-agent: *\nDisallow: /x\n"))
    # A worker joining the run in progress uses it; the run's last worker leaving ends it.
    assert Workers(server, keys, 60, worker="h-2").join().new_run is False
    assert robots.get("site:80") == RobotsOutcome(RULES, b"User-agent: *\nDisallow: /x\n")
    first.leave(finished=True)
    Workers(server, keys, 60, worker="h-2").leave(finished=True)
    assert robots.get("site:80") is None
    # A new run fetches it again (the claim was given up when the outcome was published).
    robots.publish("site:80", RobotsOutcome(RULES, b""))
    assert Workers(server, keys, 60, worker="h-3").join().new_run
    assert robots.get("site:80") is None and robots.claim("site:80", 60)
