"""Build Scrapy components in the test process, with the project's settings and a sources file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from scraper import settings as project

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
    values = {
        name: getattr(project, name)
        for name in dir(project)
        if name.isupper() and name not in TEST_OWNED
    }
    values.update(SOURCES_FILE=str(sources), DATA_DIR=str(folder / "data"), **settings)
    return get_crawler(spidercls, values)


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
