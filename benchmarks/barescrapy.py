"""Scrapy with nothing of ours: the floor under the crawl process's CPU per page.

    python -m benchmarks.barescrapy URLS_FILE [CONCURRENCY]

Fetches every URL of ``URLS_FILE`` (one per line) once with Scrapy's own defaults (its
downloader and spider middlewares, the asyncio reactor, logging at INFO) and does nothing
with the responses: no WARC, no extraction, no discovery, no state, no robots.txt, no
politeness delays. :mod:`benchmarks.crawl` runs it on the same site as our crawl and
prints its CPU per page beside our crawl process's.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    """Ask for each URL once; keep nothing of the answers."""

    name = "bare"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response: Response) -> None:
        return None


def main(argv: list[str]) -> int:
    urls = Path(argv[0]).read_text(encoding="utf-8").split()
    concurrency = int(argv[1]) if len(argv) > 1 else 16
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "INFO",
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "ROBOTSTXT_OBEY": False,
            "DOWNLOAD_DELAY": 0,
            "TELNETCONSOLE_ENABLED": False,
        },
        install_root_handler=True,
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    assert crawler.stats is not None
    answered = crawler.stats.get_value("downloader/response_status_count/200", 0)
    print(f"answered {answered} of {len(urls)}", flush=True)
    return 0 if answered == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
