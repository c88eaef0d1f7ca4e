"""A crawl run by ``tests/test_settled.py``: one page whose spider output is 30 links, read
from ``data:`` URIs (no server). It prints how many of the links were queued by the time
:class:`~scraper.shared.settled.SettledMiddleware` said that output ended.

    python -m tests.settledcrawl
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response

from scraper.shared.config import SETTLED_MIDDLEWARE, SETTLED_ORDER
from scraper.shared.settled import output_ended

LINKS = 30
PAGE = "data:text/html,page-of-links"
LINK = "data:text/plain,link-"
queued: list[str] = []


class RecordingScheduler(Scheduler):
    """Scrapy's scheduler, noting every request it is given."""

    def enqueue_request(self, request: Request) -> bool:
        queued.append(request.url)
        return bool(super().enqueue_request(request))


class LinksSpider(Spider):
    name = "links"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> LinksSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.output_ended, signal=output_ended)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        yield Request(PAGE)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Request]:
        for n in range(LINKS):
            yield Request(f"{LINK}{n}", callback=self.leaf)

    def leaf(self, response: Response) -> None:
        return None

    def output_ended(self, request: Request) -> None:
        if request.url == PAGE:
            links = sum(url.startswith(LINK) for url in queued)
            print(f"links queued when the output ended: {links} of {LINKS}", flush=True)


if __name__ == "__main__":
    process = CrawlerProcess(
        {
            "SCHEDULER": f"{__name__}.RecordingScheduler",
            "SPIDER_MIDDLEWARES": {SETTLED_MIDDLEWARE: SETTLED_ORDER},
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    process.crawl(LinksSpider)
    process.start()
