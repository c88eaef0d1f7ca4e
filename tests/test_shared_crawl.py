"""Several ``scrapy crawl news`` workers share one crawl through a real Redis server."""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import redis

from corpus.store import read_manifest
from corpus.urls import canonicalize, url_hash
from scraper.shared.connection import Keys
from scraper.shared.workers import this_worker
from sitefixture.scrapyrun import start_scrapy
from tests.conftest import TEST_SETTINGS, ServedSite, warcio_check
from tests.redisserver import answers_held_until_all_joined, redis_server

# Each worker takes up to CONCURRENT_REQUESTS requests ahead: 4 spreads this small site over both.
SHARED_SETTINGS = {
    "REDIS_IDLE_TIMEOUT": "2",
    "REDIS_WORKER_TIMEOUT": "10",
    "CONCURRENT_REQUESTS": "4",
}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@dataclass
class Worker:
    process: subprocess.Popen[str]
    log: Path
    data_dir: Path

    def wait(self, timeout: float = 120) -> int:
        return self.process.wait(timeout)

    def stat(self, name: str) -> int:
        found = re.search(rf"'{re.escape(name)}': (\d+)", self.log.read_text())
        return int(found.group(1)) if found else 0


def start_worker(
    workdir: Path,
    data_dir: Path,
    sources_text: str,
    redis_url: str,
    prefix: str,
    name: str,
    **more: str,
) -> Worker:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sources.toml").write_text(sources_text)
    settings = {
        **TEST_SETTINGS,
        **SHARED_SETTINGS,
        "SOURCES_FILE": str(workdir / "sources.toml"),
        "DATA_DIR": str(data_dir),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        **more,
    }
    log = workdir / f"{name}.log"
    process = start_scrapy(["crawl", "news"], workdir, settings, log)
    return Worker(process, log, data_dir)


def disallow_an_article(site: ServedSite) -> str:
    """Add a robots.txt rule against an article that is fetched but not kept; return its path."""
    path = next(
        a.path
        for a in site.site.articles.values()
        if a.path not in site.site.corpus_paths + site.site.never_fetched
    )
    robots = site.server.routes["/robots.txt"]
    robots.body += f"\nUser-agent: *\nDisallow: {path}\n".encode()
    return path


def article_fetches(site: ServedSite) -> Counter[str]:
    articles = {article.path for article in site.site.articles.values()}
    return Counter(path for path in site.server.paths() if path in articles)


def expected_hashes(site: ServedSite) -> set[str]:
    return {url_hash(canonicalize(site.url(path))) for path in site.site.corpus_paths}


def what_became_of(site: ServedSite, paths: Sequence[str], logs: Sequence[Path]) -> str:
    """For a failed test: how often each path was fetched, and the workers' lines naming it."""
    fetched = Counter(site.server.paths())
    unfetched = sorted(route for route in site.server.routes if not fetched[route])
    told = [f"missing from the corpus: {paths}", f"pages of the site nobody fetched: {unfetched}"]
    for path in paths:
        told.append(f"{path}: fetched {fetched[path]} times")
        for log in logs:
            told += [
                f"  {log.name}: {line}" for line in log.read_text().splitlines() if path in line
            ]
    return "\n".join(told)


def corpus_entries(*data_dirs: Path) -> list[dict]:
    return [entry for data_dir in data_dirs for entry in read_manifest(data_dir / "corpus")]


def assert_complete_corpus(site: ServedSite, *data_dirs: Path, logs: Sequence[Path] = ()) -> None:
    entries = corpus_entries(*data_dirs)
    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids)), f"corpus numbers repeat: {sorted(ids)}"
    written = {entry["file"].split("_")[1][:16] for entry in entries}
    missing = [
        path
        for path in site.site.corpus_paths
        if url_hash(canonicalize(site.url(path))) not in written
    ]
    assert written == expected_hashes(site), what_became_of(site, missing, logs)
    for data_dir in data_dirs:
        listed = {entry["file"] for entry in read_manifest(data_dir / "corpus")}
        assert {path.name for path in (data_dir / "corpus").glob("*.txt")} == listed


@pytest.mark.parametrize("one_data_dir", [True, False], ids=["one-data-dir", "two-machines"])
def test_two_workers_fetch_each_article_once_and_number_the_corpus_uniquely(
    news_site: ServedSite, tmp_path: Path, redis_url: str, one_data_dir: bool
) -> None:
    news_site.server.delay = 0.5  # the answers take a while: the requests spread over both workers
    sources = news_site.site.source_toml(news_site.server.base_url)
    refused = disallow_an_article(news_site)
    prefix = f"t-{tmp_path.name}"
    dirs = (
        [tmp_path / "data"] * 2
        if one_data_dir
        else [tmp_path / "a" / "data", tmp_path / "b" / "data"]
    )
    with answers_held_until_all_joined(news_site.server) as started:
        workers = [
            start_worker(tmp_path / name, dirs[n], sources, redis_url, prefix, name)
            for n, name in enumerate("ab")
        ]
        started += [(worker.process, worker.log) for worker in workers]
    assert [worker.wait() for worker in workers] == [0, 0], [
        w.log.read_text()[-3000:] for w in workers
    ]

    fetched = article_fetches(news_site)
    assert fetched and max(fetched.values()) == 1, fetched
    assert all(worker.stat("shared/taken") > 0 for worker in workers), "one worker did all the work"
    # A request refused by robots.txt never reaches the downloader: settled all the same.
    assert (
        refused not in fetched
        and sum(worker.stat("robotstxt/forbidden") for worker in workers) == 1
    )
    assert all("'shared/unsettled': 0" in worker.log.read_text() for worker in workers)
    assert_complete_corpus(news_site, *set(dirs))
    assert not warcio_check(
        sorted(path for d in set(dirs) for path in (d / "archive").glob("*.warc.gz"))
    )
    # The history holds one run per source, with the figures of both workers added up.
    server = redis.Redis.from_url(redis_url)
    runs = [server.hgetall(key) for key in server.scan_iter(match=f"{prefix}:state:runs:*")]
    assert runs and all(len(run) == 1 for run in runs), runs
    written = sum(json.loads(figures)["written"] for run in runs for figures in run.values())
    assert written == len(corpus_entries(*set(dirs)))

    # A later run, on a third machine, knows from Redis what is archived: no article again.
    rerun = start_worker(tmp_path / "c", tmp_path / "c" / "data", sources, redis_url, prefix, "c")
    assert rerun.wait() == 0, rerun.log.read_text()[-3000:]
    assert article_fetches(news_site) == fetched
    assert "new run" in rerun.log.read_text()


def test_a_worker_killed_mid_crawl_loses_nothing(
    news_site: ServedSite, tmp_path: Path, redis_url: str
) -> None:
    news_site.server.delay = 0.3
    sources = news_site.site.source_toml(news_site.server.base_url)
    prefix = f"t-{tmp_path.name}"
    data = tmp_path / "data"
    victim = start_worker(tmp_path / "a", data, sources, redis_url, prefix, "a")
    survivor = start_worker(tmp_path / "b", data, sources, redis_url, prefix, "b")
    taken = Keys(prefix).taken(this_worker().rpartition("-")[0] + f"-{victim.process.pid}")
    server = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 60
    while sum(article_fetches(news_site).values()) < 2 or not server.hlen(taken):
        assert victim.process.poll() is None and time.monotonic() < deadline, (
            victim.log.read_text()[-3000:]
        )
        time.sleep(0.01)
    os.killpg(victim.process.pid, signal.SIGKILL)  # mid-download: the answers take 0.5 s
    victim.wait()
    assert survivor.wait() == 0, survivor.log.read_text()[-3000:]
    assert survivor.stat("shared/requeued") >= 1 and not server.exists(taken)

    rerun = start_worker(tmp_path / "c", data, sources, redis_url, prefix, "c")
    assert rerun.wait() == 0, rerun.log.read_text()[-3000:]
    assert_complete_corpus(news_site, data)
    assert not warcio_check(sorted((data / "archive").glob("*.warc.gz")))
    assert not list((data / "archive").glob("*.open"))


def wait_for(condition: Callable[[], object], worker: Worker, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.process.poll() is None and time.monotonic() < deadline, (
            worker.log.read_text()[-3000:]
        )
        time.sleep(0.01)


def archived_by(server: redis.Redis, prefix: str, pid: int) -> list[str]:
    """The article URLs the crawl state says the worker of ``pid`` archived."""
    urls = []
    for key in server.scan_iter(match=f"{prefix}:state:url:*"):
        kind, filename = server.hmget(key, "kind", "warc_filename")
        if kind == b"article" and filename and filename.decode().endswith(f"-{pid}.warc.gz"):
            urls.append(key.decode().split(":url:", 1)[1])
    return urls


def test_a_killed_workers_downloaded_articles_are_written_in_the_same_run(
    news_site: ServedSite, tmp_path: Path, redis_url: str
) -> None:
    """Articles a killed worker had downloaded but not yet written are written by the other
    worker in the same run: the next run fetches none of them again."""
    news_site.server.delay = 0.3
    sources = news_site.site.source_toml(news_site.server.base_url)
    prefix = f"t-{tmp_path.name}"
    a, b = tmp_path / "a" / "data", tmp_path / "b" / "data"
    victim = start_worker(tmp_path / "a", a, sources, redis_url, prefix, "a", LOG_LEVEL="DEBUG")
    pid = victim.process.pid
    taken = Keys(prefix).taken(this_worker().rpartition("-")[0] + f"-{pid}")
    server = redis.Redis.from_url(redis_url)
    corpus_lock = a / "corpus" / ".lock"
    wait_for(lambda: corpus_lock.exists() and server.hlen(taken), victim)
    # Holding its corpus lock, the victim downloads and archives articles but cannot write them.
    held = os.open(corpus_lock, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        survivor = start_worker(
            tmp_path / "b", b, sources, redis_url, prefix, "b", LOG_LEVEL="DEBUG"
        )
        wait_for(lambda: archived_by(server, prefix, pid), victim)
        os.killpg(pid, signal.SIGKILL)
        victim.wait()
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        os.close(held)
    assert survivor.wait() == 0, survivor.log.read_text()[-3000:]
    assert survivor.stat("shared/requeued") >= 1 and not server.exists(taken)
    # In this run, before any other.
    assert_complete_corpus(news_site, a, b, logs=(victim.log, survivor.log))

    fetched = article_fetches(news_site)
    rerun = start_worker(tmp_path / "a", a, sources, redis_url, prefix, "rerun")
    assert rerun.wait() == 0, rerun.log.read_text()[-3000:]
    assert article_fetches(news_site) == fetched  # fetched again by the next run: none
    assert_complete_corpus(news_site, a, b)
    assert not warcio_check(
        sorted(path for d in (a, b) for path in (d / "archive").glob("*.warc.gz"))
    )
    assert not list((a / "archive").glob("*.open"))


def test_a_survivor_takes_over_the_robots_txt_a_killed_worker_was_fetching(
    news_site: ServedSite, tmp_path: Path, redis_url: str
) -> None:
    """The robots.txt claim of a dead worker ends when a survivor reaps it, not after the
    download timeout times the retries (400 s here, past this test's wait)."""
    robots = news_site.server.routes["/robots.txt"]
    news_site.server.routes["/robots.txt"] = replace(robots, delay=3.0)
    sources = news_site.site.source_toml(news_site.server.base_url)
    prefix = f"t-{tmp_path.name}"
    slow = {"DOWNLOAD_TIMEOUT": "100"}
    victim = start_worker(
        tmp_path / "a", tmp_path / "a" / "data", sources, redis_url, prefix, "a", **slow
    )
    server = redis.Redis.from_url(redis_url)
    wait_for(lambda: list(server.scan_iter(match=f"{prefix}:robots:claim:*")), victim)
    survivor = start_worker(
        tmp_path / "b", tmp_path / "b" / "data", sources, redis_url, prefix, "b", **slow
    )
    wait_for(lambda: "joined the shared crawl" in survivor.log.read_text(), survivor)
    os.killpg(victim.process.pid, signal.SIGKILL)
    victim.wait()
    assert survivor.wait() == 0, survivor.log.read_text()[-3000:]
    assert_complete_corpus(news_site, tmp_path / "b" / "data")
