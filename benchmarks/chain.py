"""The downloader middleware chain of a crawl, alone: CPU per article page, in one process.

    python -m benchmarks.chain --pages ../shared/pages [--rounds 3] [--threads N] [--off CLASS ...]

Builds the crawl's downloader middlewares (``scraper/settings.py``; robots.txt off, the
crawl state and the WARC archive in a temporary folder) and passes every page of
``--pages`` through them as a fresh article URL, its response made in-process (no socket,
no Twisted download handler): the conditional request, the meta refresh check, the WARC
records and their CDXJ entries, the crawl state. Prints per round the CPU milliseconds per
page of the process and of its main (reactor) thread. ``--off`` leaves a middleware out
(repeatable), ``--threads`` sets ``WARC_THREADS``. Compare variants in the same period:
the figures follow the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import tempfile
import time
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.internet import asyncioreactor

from benchmarks.sharedsite import load_pages
from scraper import meta
from sitefixture.settings import project_settings

HEADERS = {
    b"Server": b"nginx",
    b"Date": b"Tue, 01 Dec 2026 05:00:00 GMT",
    b"Content-Type": b"text/html; charset=utf-8",
    b"Last-Modified": b"Tue, 01 Dec 2026 04:00:00 GMT",
    b"ETag": b'"5f3a-62c1"',
    b"Accept-Ranges": b"bytes",
}


def chain(data_dir: Path, threads: int, off: list[str]) -> tuple[Any, DownloaderMiddlewareManager]:
    """A crawler of the project's settings and its downloader middleware chain."""
    settings = project_settings(
        {
            "DATA_DIR": str(data_dir),
            "ROBOTSTXT_OBEY": False,
            "ALLOW_PRIVATE_ADDRESSES": True,
            "WARC_THREADS": threads,
        },
        leave_out=("ITEM_PIPELINES",),
    )
    settings["DOWNLOADER_MIDDLEWARES"] = {
        **settings["DOWNLOADER_MIDDLEWARES"],
        **dict.fromkeys(off),
    }
    settings["EXTENSIONS"] = {"scraper.extensions.crawlstate.CrawlStateExtension": 100}
    crawler = get_crawler(Spider, settings)
    crawler.spider = Spider(name="chain")
    crawler.spider.crawler = crawler
    return crawler, DownloaderMiddlewareManager.from_crawler(crawler)


async def run(bodies: list[bytes], rounds: int, threads: int, off: list[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        crawler, manager = chain(Path(scratch), threads, off)
        await crawler.signals.send_catch_log_async(signals.spider_opened, spider=crawler.spider)
        served = 0
        for number in range(rounds):
            cpu, main = time.process_time(), time.thread_time()
            for body in bodies:
                served += 1

                async def download(request: Request, body: bytes = body) -> HtmlResponse:
                    headers = {**HEADERS, b"Content-Length": str(len(body)).encode()}
                    return HtmlResponse(
                        request.url,
                        status=200,
                        headers=headers,
                        body=body,
                        request=request,
                        ip_address=ipaddress.ip_address("127.0.0.1"),
                        protocol="HTTP/1.1",
                    )

                request = Request(
                    f"http://127.0.0.1:8080/articles/{served}",
                    meta={meta.SOURCE: "chain", meta.KIND: "article"},
                )
                response = await manager.download_async(download, request)
                assert isinstance(response, HtmlResponse) and response.status == 200
            process_ms = 1000 * (time.process_time() - cpu) / len(bodies)
            main_ms = 1000 * (time.thread_time() - main) / len(bodies)
            print(
                f"round {number + 1}: {len(bodies)} pages, CPU per page: process {process_ms:.3f} ms, "
                f"main thread {main_ms:.3f} ms"
            )
        await crawler.signals.send_catch_log_async(
            signals.spider_closed, spider=crawler.spider, reason="finished"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=Path, required=True, help="folder with pages.jsonl and *.html.gz"
    )
    parser.add_argument("--rounds", type=int, default=3, help="passes over the pages (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="WARC_THREADS (default 2)")
    parser.add_argument(
        "--off",
        action="append",
        default=[],
        metavar="CLASS",
        help="a downloader middleware to leave out (class path; repeatable)",
    )
    args = parser.parse_args()
    asyncioreactor.install()  # the crawl's reactor, before anything asks for one
    bodies = [page.html for page in load_pages(args.pages)]
    asyncio.get_event_loop().run_until_complete(run(bodies, args.rounds, args.threads, args.off))


if __name__ == "__main__":
    main()
