"""Scrapy with nothing of ours: the floor under the crawl process's CPU per page, and the
ceiling over a Scrapy crawl that extracts with our extraction.

    python -m benchmarks.barescrapy URLS_FILE [CONCURRENCY] [--extract PROCESSES]

Fetches every URL of ``URLS_FILE`` (one per line) once with Scrapy's own defaults (its
downloader and spider middlewares, the asyncio reactor, logging at INFO) and does nothing
with the responses: no WARC, no extraction, no discovery, no state, no robots.txt, no
politeness delays. :mod:`benchmarks.crawl` runs it on the same site as our crawl and
prints its CPU per page beside our crawl process's.

With ``--extract``, each response's body goes to a pool of that many processes (the crawl's
own pool, :class:`scraper.workerpool.RenewingPool`, started with the spider and handing pages
over ``EXTRACTION_BATCH`` at a time as the crawl's does) that run our ``extract_article`` and
the fingerprint, as the limit does, and the callback waits for it: the least a Scrapy crawl
with our extraction does, so its pages/s over our limit's is the most any crawl built on
Scrapy reaches here. The workers' start and warm-up are in its time, as in our crawl's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

from benchmarks.peers import ours
from scraper.settings import EXTRACTION_BATCH
from scraper.workerpool import RenewingPool


class BareSpider(scrapy.Spider):
    """Ask for each URL once; keep nothing of the answers (or only whether each extracted)."""

    name = "bare"

    def __init__(self, urls: list[str], pool: RenewingPool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.pool = pool
        self.extracted = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.pool is not None:
            self.pool.start()
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    async def parse(self, response: Response) -> AsyncIterator[Any]:
        if self.pool is not None:
            ok = await self.pool.run(ours, response.body, response.url)
            self.extracted += ok  # after the await: other pages' callbacks count meanwhile
        return
        yield


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", type=Path, help="a file of URLs, one per line")
    parser.add_argument("concurrency", type=int, nargs="?", default=16)
    parser.add_argument(
        "--extract", type=int, default=0, metavar="PROCESSES", help="extract in this many processes"
    )
    args = parser.parse_args(argv)
    urls = args.urls.read_text(encoding="utf-8").split()
    pool = None
    if args.extract:
        pool = RenewingPool(args.extract, batch=EXTRACTION_BATCH)
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "INFO",
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "ROBOTSTXT_OBEY": False,
            "DOWNLOAD_DELAY": 0,
            "TELNETCONSOLE_ENABLED": False,
        },
        install_root_handler=True,
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, urls=urls, pool=pool)
    process.start()
    if pool is not None:
        pool.shutdown()
    assert crawler.stats is not None
    answered = crawler.stats.get_value("downloader/response_status_count/200", 0)
    print(f"answered {answered} of {len(urls)}", flush=True)
    if pool is not None:
        assert isinstance(crawler.spider, BareSpider)
        print(f"extracted {crawler.spider.extracted} of {answered}", flush=True)
    return 0 if answered == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
