"""Build Scrapy components in the test process, with the project's settings and a sources file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.extension import ExtensionManager
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from sitefixture.settings import project_settings

# get_crawler chooses the reactor for the test process.
TEST_OWNED = {"TWISTED_REACTOR", "TWISTED_REACTOR_ENABLED", "ASYNCIO_EVENT_LOOP"}
CONTENT_TYPES = {
    "html": ("text/html; charset=utf-8", HtmlResponse),
    "xml": ("application/xml", XmlResponse),
    "text": ("text/plain; charset=utf-8", TextResponse),
}


def project_crawler(
    spidercls: type[Spider], sources_text: str, folder: Path, **settings: Any
) -> Crawler:
    """A crawler with ``scraper.settings`` plus ``settings``, its sources in ``folder``."""
    sources = folder / "sources.toml"
    sources.write_text(sources_text)
    values = {"SOURCES_FILE": str(sources), "DATA_DIR": str(folder / "data"), **settings}
    return get_crawler(spidercls, project_settings(values, leave_out=TEST_OWNED))


def response(
    url: str, body: str | bytes, content: str = "html", status: int = 200, **meta: Any
) -> TextResponse:
    """A ``content`` response (html, xml, text) to a request for ``url`` carrying ``meta``."""
    content_type, cls = CONTENT_TYPES[content]
    data = body.encode() if isinstance(body, str) else body
    request = Request(url, meta=meta)
    return cls(
        url,
        status=status,
        body=data,
        headers={"Content-Type": content_type},
        request=request,
    )


def summarized_crawler(
    spidercls: type[Spider], sources_text: str, folder: Path, **settings: Any
) -> Crawler:
    """:func:`project_crawler` whose one extension is the per-source summary, already built."""
    summary = {"scraper.extensions.summary.SourceSummary": 500}
    crawler = project_crawler(
        spidercls, sources_text, folder, EXTENSIONS_BASE={}, EXTENSIONS=summary, **settings
    )
    crawler.extensions = build_from_crawler(ExtensionManager, crawler)
    return crawler


def end_crawl(crawler: Crawler, spider: Spider) -> None:
    """Send the signals of a crawl's end, as the engine does: the summary logs its lines."""
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    crawler.signals.send_catch_log(signals.engine_stopped)
