"""IsalHttpCompressionMiddleware decodes every body to the bytes Scrapy's own decodes it to,
and refuses what Scrapy refuses."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from scraper import meta
from scraper.downloadermiddlewares.compression import IsalHttpCompressionMiddleware
from scraper.failures import PageRefused
from sitefixture.inprocess import project_crawler
from sitefixture.server import gzip_bomb

PAGE = b"<html><body>" + b"<p>Lavrov met Gil in Caracas.</p>" * 2000 + b"</body></html>"


def corrupt_crc(data: bytes) -> bytes:
    return data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:]


BODIES = {
    "one member": (b"gzip", gzip.compress(PAGE)),
    "x-gzip": (b"x-gzip", gzip.compress(PAGE)),
    "two members": (b"gzip", gzip.compress(PAGE[:999]) + gzip.compress(PAGE[999:])),
    "cut": (b"gzip", gzip.compress(PAGE)[:5000]),
    "no trailer": (b"gzip", gzip.compress(PAGE)[:-8]),
    "bytes after": (b"gzip", gzip.compress(PAGE) + b"<!-- proxy -->"),
    "zero padding": (b"gzip", gzip.compress(PAGE) + bytes(64)),
    "wrong CRC": (b"gzip", corrupt_crc(gzip.compress(PAGE))),
    "deflate": (b"deflate", zlib.compress(PAGE)),
    "gzip then deflate": (b"gzip, deflate", zlib.compress(gzip.compress(PAGE))),
}


def decoded(
    middleware: HttpCompressionMiddleware, coding: bytes, body: bytes, max_size: int = 0
) -> tuple[bytes, str] | str:
    """The body and class the middleware makes of a response, or the error it raises."""
    request = Request("https://a.example/story", meta={meta.DOWNLOAD_MAXSIZE: max_size})
    response = Response(
        request.url, body=body, headers={"Content-Type": "text/html", "Content-Encoding": coding}
    )
    try:
        made = middleware.process_response(request, response)
    except Exception as error:  # noqa: BLE001 - compared with Scrapy's
        return f"{type(error).__name__}: {error}"
    assert isinstance(made, Response)
    return made.body, type(made).__name__


@pytest.fixture(scope="module")
def middlewares(tmp_path_factory: pytest.TempPathFactory) -> tuple[HttpCompressionMiddleware, ...]:
    crawler = project_crawler(Spider, "", tmp_path_factory.mktemp("crawl"))
    return (
        HttpCompressionMiddleware.from_crawler(crawler),
        IsalHttpCompressionMiddleware.from_crawler(crawler),
    )


@pytest.mark.parametrize("name", BODIES)
def test_a_body_decodes_as_scrapy_decodes_it(
    middlewares: tuple[HttpCompressionMiddleware, ...], name: str
) -> None:
    scrapy_s, ours = middlewares
    coding, body = BODIES[name]
    expected = decoded(scrapy_s, coding, body)
    assert decoded(ours, coding, body) == expected
    assert not isinstance(expected, str) or name == "cut"  # Scrapy reads what it can


def test_a_body_past_download_maxsize_is_refused_as_scrapy_refuses_it(
    middlewares: tuple[HttpCompressionMiddleware, ...],
) -> None:
    scrapy_s, ours = middlewares
    bomb = gzip_bomb(2)
    refused = decoded(ours, b"gzip", bomb, max_size=1024 * 1024)
    scrapy_refused = decoded(scrapy_s, b"gzip", bomb, max_size=1024 * 1024)
    assert isinstance(refused, str) and isinstance(scrapy_refused, str)
    # The same message, as a page refused: an error of its source, not a request left out.
    assert refused.startswith(f"{PageRefused.__name__}: ")
    assert scrapy_refused.startswith(f"{IgnoreRequest.__name__}: ")
    assert refused.split(": ", 1)[1] == scrapy_refused.split(": ", 1)[1]
    assert decoded(ours, b"gzip", bomb, max_size=4 * 1024 * 1024) == decoded(
        scrapy_s, b"gzip", bomb, max_size=4 * 1024 * 1024
    )


def test_the_crawl_decodes_with_it(tmp_path: Path) -> None:
    crawler = project_crawler(Spider, "", tmp_path)
    middlewares = crawler.settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scraper.downloadermiddlewares.compression.IsalHttpCompressionMiddleware"]
    assert (
        middlewares["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"]
        is None
    )
