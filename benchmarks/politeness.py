"""How one host sees a crawl: request start gaps and concurrency, 1 worker against N.

    python -m benchmarks.politeness --pages ../shared/pages [--limit 100] [--workers 4]
        [--delay 0.2] [--jitter 0] [--answer 0.3] [--per-domain 4]

Serves the pages as one site from the Python fixture server on 127.0.0.1 (its log has the
arrival time of every request and counts the requests being answered at once; every answer
takes ``--answer`` seconds), starts a throwaway redis-server, and crawls the site three times:
one worker without Redis; N workers of one shared crawl as they are (each host's delay and
concurrency held across workers in Redis); N workers with Scrapy's own downloader (politeness
per worker, as before). For each it prints, from the server's own timestamps: requests,
seconds, the gaps between request starts (min, median, how many below the delay less its
jitter, and below half of it) and the most requests answered at once. Seconds include each
worker's start and, with Redis, ``REDIS_IDLE_TIMEOUT`` (3 s) of waiting at the end.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import redis

from benchmarks.sharedsite import build_shared_site, load_pages, source_toml
from sitefixture import FixtureServer
from sitefixture.redis import redis_server
from sitefixture.scrapyrun import start_scrapy

PER_WORKER_DOWNLOADER = "scrapy.core.downloader.Downloader"


def crawl(
    server: FixtureServer,
    root: Path,
    sources: str,
    workers: int,
    settings: dict[str, str],
) -> float:
    """Run ``workers`` crawls of ``sources`` at once, to the end; return the seconds taken."""
    root.mkdir(parents=True)
    (root / "sources.toml").write_text(sources)
    began = time.monotonic()
    processes = [
        start_scrapy(
            ["crawl", "news"],
            root,
            {
                **settings,
                "SOURCES_FILE": str(root / "sources.toml"),
                "DATA_DIR": str(root / "data"),
                "LOG_LEVEL": "INFO",
            },
            root / f"w{n}.log",
        )
        for n in range(workers)
    ]
    for n, process in enumerate(processes):
        if process.wait() != 0:
            log = (root / f"w{n}.log").read_text()[-3000:]
            raise SystemExit(f"worker {n} failed:\n{log}")
    return time.monotonic() - began


def report(
    label: str,
    server: FixtureServer,
    seconds: float,
    floor: float,
    store: redis.Redis | None = None,
) -> None:
    """Print what the server saw of the last crawl (and what Redis ran), then forget it."""
    starts = sorted(request.at for request in server.requests)
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    below = sum(1 for gap in gaps if gap < floor)
    far_below = sum(1 for gap in gaps if gap < floor / 2)
    fifth = statistics.quantiles(gaps, n=20)[0]
    print(
        f"{label:<36} {len(starts):>5} requests {seconds:>6.1f} s | gaps: "
        f"min {min(gaps) * 1000:>4.0f} ms, 5th pct {fifth * 1000:>4.0f} ms, "
        f"median {statistics.median(gaps) * 1000:>4.0f} ms, {below:>4} below {floor * 1000:.0f} ms, "
        f"{far_below:>4} below {floor * 500:.0f} ms | at once: {server.peak_in_flight}"
    )
    if store is not None:
        stats = store.info("commandstats")
        calls = sum(value["calls"] for value in stats.values())
        scripts = stats.get("cmdstat_evalsha", {}).get("calls", 0)
        print(
            f"{'':<36} Redis: {calls / len(starts):.1f} commands per request, scripts' included; "
            f"{scripts / len(starts):.1f} script calls"
        )
        store.config_resetstat()
    server.requests.clear()
    server.peak_in_flight = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=Path, required=True, help="folder with pages.jsonl and *.html.gz"
    )
    parser.add_argument("--limit", type=int, default=300, help="article pages served (300)")
    parser.add_argument("--workers", type=int, default=4, help="workers of the crawl (4)")
    parser.add_argument("--delay", type=float, default=0.2, help="DOWNLOAD_DELAY (0.2)")
    parser.add_argument("--jitter", type=float, default=0.0, help="DOWNLOAD_DELAY_JITTER (0)")
    parser.add_argument("--answer", type=float, default=0.3, help="seconds per answer (0.3)")
    parser.add_argument(
        "--per-domain", type=int, default=4, help="CONCURRENT_REQUESTS_PER_DOMAIN (4)"
    )
    parser.add_argument("--autothrottle", action="store_true", help="AUTOTHROTTLE_ENABLED")
    args = parser.parse_args()

    pages = load_pages(args.pages)[: args.limit]
    settings = {
        "DOWNLOAD_DELAY": str(args.delay),
        "DOWNLOAD_DELAY_JITTER": str(args.jitter),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(args.per_domain),
        "AUTOTHROTTLE_ENABLED": str(args.autothrottle),
        "EXTRACTION_PROCESSES": "1",
        "REDIS_IDLE_TIMEOUT": "3",
    }
    floor = args.delay * (1 - args.jitter)
    with tempfile.TemporaryDirectory() as scratch, FixtureServer() as server:
        root = Path(scratch)
        server.routes.update(build_shared_site(server.base_url, pages))
        server.delay = args.answer
        sources = source_toml(server.base_url, pages)
        print(
            f"{len(pages)} article pages at {server.base_url}, answers take {args.answer} s; "
            f"DOWNLOAD_DELAY={args.delay}, jitter {args.jitter}, "
            f"CONCURRENT_REQUESTS_PER_DOMAIN={args.per_domain}, AutoThrottle {args.autothrottle}"
        )
        with redis_server(root) as url:
            store = redis.Redis.from_url(url)
            seconds = crawl(server, root / "alone", sources, 1, settings)
            report("1 worker, no Redis", server, seconds, floor)
            store.config_resetstat()
            shared = {**settings, "REDIS_URL": url}
            seconds = crawl(
                server,
                root / "shared",
                sources,
                args.workers,
                {**shared, "REDIS_KEY_PREFIX": "shared"},
            )
            report(f"{args.workers} workers, politeness shared", server, seconds, floor, store)
            seconds = crawl(
                server,
                root / "apart",
                sources,
                args.workers,
                {**shared, "REDIS_KEY_PREFIX": "apart", "DOWNLOADER": PER_WORKER_DOWNLOADER},
            )
            report(f"{args.workers} workers, politeness per worker", server, seconds, floor, store)


if __name__ == "__main__":
    main()
