"""How far one Redis carries a shared crawl: commands, bytes and CPU per page, memory per URL.

    python -m benchmarks.redis_scale --pages ../shared/pages [--copies 2] [--workers 2]
        [--urls 1000000] [--queue 100000] [--bloom-urls 200000] [--parts 1,2,3]

1. Per page, from a real shared crawl: serves the pages (times ``--copies``) as one site,
   runs ``--workers`` workers against a throwaway redis-server, and divides what Redis
   counted (``INFO commandstats``, ``total_net_input_bytes``/``output``, and the server's CPU
   time less what it spends idle) by the article pages fetched. Redis runs commands on one
   thread, so one core's second over its CPU per page is the pages/s at which it saturates.
   A second crawl under MONITOR, with every command in the slow log, tells the commands the
   workers sent from those Lua scripts ran, and what each script costs.
2. Memory per URL, from a simulation: realistic article URLs of 100 news hosts, their
   scrapy-redis fingerprints added to a set (the seen-set), their requests encoded as
   scrapy-redis encodes them added to a sorted set (the queue), and the crawl state's hash
   per fetched URL, written by :class:`RedisCrawlState` (with Redis's defaults, and with
   ``hash-max-listpack-value 1024``); ``used_memory`` is read at each step and extrapolated
   linearly past what was measured.
3. A compact seen-set: a Bloom filter in a plain Redis bitmap (a Lua script sets and tests k
   bits), sized for ``--bloom-urls`` URLs at 0.1 % false positives and filled with them:
   memory, false positives among 100,000 URLs never added, Redis time per addition against
   the set's SADD.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis
from scrapy import Request, Spider
from scrapy_redis import picklecompat

from benchmarks.sharedsite import build_shared_site, load_pages, source_toml, with_copies
from benchmarks.webserver import serve
from scraper.shared.connection import Keys
from scraper.shared.state import RedisCrawlState
from scraper.state import Capture
from sitefixture.redis import redis_server
from sitefixture.scrapyrun import start_scrapy

BATCH = 10_000
HOSTS = 100
WORDS = [
    "government",
    "minister",
    "election",
    "court",
    "police",
    "market",
    "budget",
    "talks",
    "deal",
    "report",
    "storm",
    "energy",
    "prices",
    "health",
    "school",
    "union",
    "strike",
    "border",
    "trade",
    "climate",
    "summit",
    "war",
    "peace",
]

# KEYS: the bitmap. ARGV: the bit positions. Set them all; 1 if one was not set (a new URL).
_BLOOM_ADD = """
local new = 0
for i = 1, #ARGV do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then new = 1 end
end
return new
"""
# KEYS: the bitmap. ARGV: the bit positions. 1 if all are set (the URL counts as seen).
_BLOOM_HAS = """
for i = 1, #ARGV do
  if redis.call('GETBIT', KEYS[1], ARGV[i]) == 0 then return 0 end
end
return 1
"""


class _Spider(Spider):
    """Stands in for the news spider: requests name its callbacks as the real ones do."""

    name = "news"

    def parse_article(self, response: Any) -> None: ...

    def on_error(self, failure: Any) -> None: ...


def article_url(n: int) -> str:
    """A news article URL as sites make them: host, date, a slug of 5-9 words, an id."""
    pick = random.Random(n)
    slug = "-".join(pick.choice(WORDS) for _ in range(pick.randint(5, 9)))
    return (
        f"https://www.news-site-{n % HOSTS}.example/{2020 + n % 7}/{1 + n % 12:02d}/"
        f"{1 + n % 28:02d}/{slug}-{n}"
    )


def fingerprint(url: str) -> str:
    """scrapy-redis's RFPDupeFilter fingerprint of a GET of ``url`` (40 hex digits)."""
    data = json.dumps({"method": "GET", "url": url, "body": ""}, sort_keys=True)
    return hashlib.sha1(data.encode()).hexdigest()


def used(server: redis.Redis) -> int:
    return int(server.info("memory")["used_memory"])


def crawl(url: str, root: Path, sources: str, workers: int) -> float:
    """Run ``workers`` workers of one shared crawl of ``sources`` to the end; return seconds."""
    root.mkdir(parents=True)
    (root / "sources.toml").write_text(sources)
    began = time.monotonic()
    processes = [
        start_scrapy(
            ["crawl", "news"],
            root,
            {
                "REDIS_URL": url,
                "REDIS_KEY_PREFIX": root.name,
                "REDIS_IDLE_TIMEOUT": "3",
                "SOURCES_FILE": str(root / "sources.toml"),
                "DATA_DIR": str(root / "data"),
                "CONCURRENT_REQUESTS": "16",
                "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
                "EXTRACTION_PROCESSES": str(max(1, (os.cpu_count() or 1) // workers)),
            },
            root / f"w{n}.log",
        )
        for n in range(workers)
    ]
    for n, process in enumerate(processes):
        if process.wait() != 0:
            raise SystemExit((root / f"w{n}.log").read_text()[-3000:])
    return time.monotonic() - began


def _monitor(server: redis.Redis, counts: Counter[tuple[str, str]]) -> None:
    """Count the commands Redis runs, by who sent them (a worker, or a Lua script)."""
    try:
        with server.monitor() as watch:
            while True:
                try:
                    command = watch.next_command()
                except ValueError:  # a line it cannot parse (binary arguments): counted apart
                    counts["worker", "(unreadable)"] += 1
                    continue
                sender = "lua" if command.get("client_type") == "lua" else "worker"
                counts[sender, command["command"].split(" ", 1)[0].lower()] += 1
    except (redis.RedisError, OSError):
        pass  # the server went away: the crawl is over


def _script_names() -> dict[str, str]:
    """The SHA-1 of each Lua script of the shared crawl (what EVALSHA names), to its name."""
    from scraper.shared import numbers, offer, politeness, state, workers

    scripts = {
        "politeness._TAKE": politeness._TAKE,
        "politeness._PAUSE": politeness._PAUSE,
        "workers._TAKE": workers._TAKE,
        "workers._REQUEUE_SOME": workers._REQUEUE_SOME,
        "workers._REQUEUE": workers._REQUEUE,
        "workers._BEAT": workers._BEAT,
        "offer._OFFER": offer._OFFER,
        "state._OUTCOME": state._OUTCOME,
        "state._ADD_RUN": state._ADD_RUN,
        "numbers._NEXT": numbers._NEXT,
    }
    return {hashlib.sha1(text.encode()).hexdigest(): name for name, text in scripts.items()}


def _script_times(server: redis.Redis) -> dict[str, list[int]]:
    """Microseconds of each EVALSHA the slow log kept, by script name."""
    names = _script_names()
    times: dict[str, list[int]] = {}
    for entry in server.slowlog_get(10**6):
        command = entry["command"]
        command = command.decode("latin-1") if isinstance(command, bytes) else command
        words = command.split()
        if words and words[0].upper() == "EVALSHA":
            name = names.get(words[1].lower(), words[1][:8])
            times.setdefault(name, []).append(int(entry["duration"]))
    return times


def _idle_cpu(server: redis.Redis, seconds: float = 5.0) -> float:
    """CPU seconds per second the Redis server spends with nobody asking anything."""
    before = server.info("cpu")
    time.sleep(seconds)
    after = server.info("cpu")
    return sum(after[f"used_cpu_{k}"] - before[f"used_cpu_{k}"] for k in ("sys", "user")) / seconds


def per_page(pages_dir: Path, copies: int, workers: int, root: Path) -> None:
    pages = with_copies(load_pages(pages_dir), copies)
    articles = {page.path for page in pages}
    with serve(lambda base: build_shared_site(base, pages), root / "site") as site:
        sources = source_toml(site.base_url, pages)
        with redis_server(root) as url:
            server = redis.Redis.from_url(url)
            idle = _idle_cpu(server)
            server.config_resetstat()
            cpu_before = server.info("cpu")
            seconds = crawl(url, root / "plain", sources, workers)
            stats = server.info("commandstats")
            traffic = server.info("stats")
            cpu = server.info("cpu")
            fetched = sum(1 for path in site.paths() if path in articles)
            requests = site.requests()
            # Again under MONITOR and with every command in the slow log (both cost Redis
            # time): who sent which command, how long each script takes.
            server.config_set("slowlog-log-slower-than", 0)
            server.config_set("slowlog-max-len", 1_000_000)
            server.slowlog_reset()
            counts: Counter[tuple[str, str]] = Counter()
            watcher = threading.Thread(target=_monitor, args=(server, counts), daemon=True)
            watcher.start()
            mark = site.requests()
            crawl(url, root / "watched", sources, workers)
            time.sleep(2)  # the watcher reads what is left
            server.config_set("slowlog-log-slower-than", 10_000)
            scripts = _script_times(server)
            watched = sum(1 for path in site.paths()[mark:] if path in articles)
    calls = {name.removeprefix("cmdstat_"): value for name, value in stats.items()}
    total = sum(value["calls"] for value in calls.values())
    busy = sum(cpu[f"used_cpu_{kind}"] - cpu_before[f"used_cpu_{kind}"] for kind in ("sys", "user"))
    print(
        f"\n1. {workers} workers, {fetched} article pages ({requests} requests) in {seconds:.0f} s, "
        f"one redis-server (seconds include {workers} starts and 3 s idle at the end)"
    )
    sent = {name: n for (who, name), n in counts.items() if who == "worker"}
    inner = {name: n for (who, name), n in counts.items() if who == "lua"}
    print(
        f"   commands sent per article page (MONITOR, {watched} pages): "
        f"{sum(sent.values()) / watched:.1f}: "
        + ", ".join(
            f"{name} {n / watched:.1f}"
            for name, n in sorted(sent.items(), key=lambda i: -i[1])[:10]
        )
    )
    print(
        f"   commands run inside Lua scripts per article page: {sum(inner.values()) / watched:.1f}"
    )
    print(
        f"   commands run per article page (commandstats, scripts' included): {total / fetched:.1f}"
    )
    print("   Redis time by command, per article page (commandstats):")
    for name, value in sorted(calls.items(), key=lambda item: -item[1]["usec"])[:8]:
        print(
            f"     {name:<18} {value['calls'] / fetched:6.2f} calls, "
            f"{value['usec'] / fetched:6.1f} us ({value['usec_per_call']:.1f} us each)"
        )
    print("   Lua scripts (slow log of the second crawl, every call), per article page:")
    for name, durations in sorted(scripts.items(), key=lambda item: -sum(item[1])):
        print(
            f"     {name:<22} {len(durations) / watched:5.2f} calls, "
            f"{sum(durations) / watched:6.1f} us (median {statistics.median(durations):.0f} us)"
        )
    into, out = traffic["total_net_input_bytes"], traffic["total_net_output_bytes"]
    print(
        f"   bytes per article page: {into / fetched:,.0f} to Redis, {out / fetched:,.0f} from it"
    )
    print(
        f"   Redis CPU per article page: {busy / fetched * 1e6:,.0f} us, network included, less "
        f"its idle {idle * 1e6:,.0f} us/s (getrusage of redis-server); one core saturates at "
        f"about {fetched / busy:,.0f} article pages/s"
    )


def memory(urls: int, queued: int) -> None:
    checkpoints = sorted({min(urls, n) for n in (100_000, 1_000_000, 10_000_000)} | {urls})
    with tempfile.TemporaryDirectory() as scratch, redis_server(Path(scratch)) as url:
        server = redis.Redis.from_url(url)
        print(f"\n2. Memory (used_memory of redis-server {server.info()['redis_version']}):")
        base = used(server)
        seen: dict[int, int] = {}
        for start in range(0, urls, BATCH):
            with server.pipeline(transaction=False) as batch:
                for n in range(start, min(urls, start + BATCH)):
                    batch.sadd("seen", fingerprint(article_url(n)))
                batch.execute()
            done = min(urls, start + BATCH)
            if done in checkpoints:
                seen[done] = used(server) - base
        for count, size in seen.items():
            print(
                f"   seen-set, {count:>10,} URLs: {size / 2**20:8.1f} MiB ({size / count:.0f} B/URL)"
            )
        per_url = seen[max(seen)] / max(seen)
        for count in (1_000_000, 10_000_000):
            if count not in seen:
                print(
                    f"   seen-set, {count:>10,} URLs: {per_url * count / 2**20:8.1f} MiB "
                    "(extrapolated)"
                )
        server.delete("seen")

        spider = _Spider()
        base = used(server)
        sizes = 0
        for start in range(0, queued, BATCH):
            with server.pipeline(transaction=False) as batch:
                for n in range(start, min(queued, start + BATCH)):
                    request = Request(
                        article_url(n),
                        callback=spider.parse_article,
                        errback=spider.on_error,
                        meta={"source": f"site-{n % HOSTS}", "kind": "article", "depth": 2},
                    )
                    encoded = picklecompat.dumps(request.to_dict(spider=spider))
                    sizes += len(encoded)
                    batch.zadd("requests", {encoded: 0})
                batch.execute()
        size = used(server) - base
        per_request = size / queued
        print(
            f"   queue, {queued:>10,} requests: {size / 2**20:8.1f} MiB ({per_request:.0f} B/request, "
            f"{sizes / queued:.0f} B encoded); 1M: {per_request * 1e6 / 2**20:,.0f} MiB, "
            f"10M: {per_request * 1e7 / 2**30:,.1f} GiB if all queued at once"
        )
        server.delete("requests")

        for limit in (None, 1024):
            if limit:
                server.config_set("hash-max-listpack-value", limit)
            state_memory(server, queued, limit)


def state_memory(server: redis.Redis, queued: int, limit: int | None) -> None:
    """Memory of the crawl state's hash per article URL, written by RedisCrawlState."""
    state = RedisCrawlState(server, Keys(f"state{limit}"))
    base = used(server)
    for n in range(queued):
        link = article_url(n)
        state.record_fetch(
            link,
            source=f"site-{n % HOSTS}",
            kind="article",
            fetched_at="2026-11-30T12:00:00Z",
            status=200,
            etag=f'"{n:016x}"',
            last_modified="Mon, 30 Nov 2026 11:00:00 GMT",
            capture=Capture(
                record_id=f"<urn:uuid:{hashlib.md5(link.encode()).hexdigest()}>",
                record_date="2026-11-30T12:00:00Z",
                record_uri=link,
                payload_digest="sha1:" + "A" * 32,
                warc_filename="news-20261130120000-00001-host-4242.warc.gz",
                warc_offset=n * 20_000,
                warc_length=19_000,
            ),
        )
        state.record_outcome(link, "written", n)
    size = used(server) - base
    per_state = size / queued
    encoding = f"hash-max-listpack-value {limit}" if limit else "Redis's defaults"
    print(
        f"   crawl state ({encoding}), {queued:>10,} articles: {size / 2**20:8.1f} MiB "
        f"({per_state:.0f} B/URL); "
        f"1M: {per_state * 1e6 / 2**20:,.0f} MiB, 10M: {per_state * 1e7 / 2**30:,.1f} GiB"
    )


def bloom(capacity: int, error: float) -> None:
    """A Bloom filter for ``capacity`` URLs at ``error``, filled, probed, and timed in Redis."""
    bits = math.ceil(-capacity * math.log(error) / math.log(2) ** 2)
    hashes = round(bits / capacity * math.log(2))

    def positions(fp: str) -> list[int]:
        first, second = int(fp[:16], 16), int(fp[16:32], 16) | 1
        return [(first + i * second) % bits for i in range(hashes)]

    with tempfile.TemporaryDirectory() as scratch, redis_server(Path(scratch)) as url:
        server = redis.Redis.from_url(url)
        add = server.register_script(_BLOOM_ADD)
        has = server.register_script(_BLOOM_HAS)
        base = used(server)
        server.config_resetstat()
        for start in range(0, capacity, BATCH):
            with server.pipeline(transaction=False) as batch:
                for n in range(start, min(capacity, start + BATCH)):
                    add(keys=["bloom"], args=positions(fingerprint(article_url(n))), client=batch)
                batch.execute()
        added = server.info("commandstats")["cmdstat_evalsha"]["usec_per_call"]
        size = used(server) - base
        probes = 100_000
        with server.pipeline(transaction=False) as batch:
            for n in range(capacity, capacity + probes):
                has(keys=["bloom"], args=positions(fingerprint(article_url(n))), client=batch)
            false = sum(1 for seen in batch.execute() if seen)
        server.config_resetstat()
        for start in range(0, capacity, BATCH):
            with server.pipeline(transaction=False) as batch:
                for n in range(start, min(capacity, start + BATCH)):
                    batch.sadd("seen", fingerprint(article_url(n)))
                batch.execute()
        sadd = server.info("commandstats")["cmdstat_sadd"]["usec_per_call"]
    print(
        f"\n3. Bloom filter in a Redis bitmap, {capacity:,} URLs at {error:.1%} false positives: "
        f"{bits / 8 / 2**20:.2f} MiB ({bits / capacity:.1f} bits/URL, {hashes} bits set per URL; "
        f"used_memory +{size / 2**20:.2f} MiB); 10M URLs: {bits / capacity * 1e7 / 8 / 2**20:.0f} MiB"
    )
    print(
        f"   false positives on {probes:,} URLs never added: {false} ({false / probes:.3%}); "
        f"Redis time per URL added: {added:.1f} us (the set's SADD: {sadd:.1f} us)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, required=True, help="folder with pages.jsonl")
    parser.add_argument("--copies", type=int, default=2, help="serve every page this many times")
    parser.add_argument("--workers", type=int, default=2, help="workers of the crawl (2)")
    parser.add_argument("--urls", type=int, default=1_000_000, help="URLs in the seen-set")
    parser.add_argument("--queue", type=int, default=100_000, help="requests queued, URLs in state")
    parser.add_argument(
        "--bloom-urls", type=int, default=200_000, help="URLs in the Bloom filter (200000)"
    )
    parser.add_argument("--bloom-error", type=float, default=0.001, help="false positive rate")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run (1,2,3)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if "1" in parts:
        with tempfile.TemporaryDirectory() as scratch:
            per_page(args.pages, args.copies, args.workers, Path(scratch))
    if "2" in parts:
        memory(args.urls, args.queue)
    if "3" in parts:
        bloom(args.bloom_urls, args.bloom_error)


if __name__ == "__main__":
    main()
