"""Scrapy's HttpCompressionMiddleware, inflating a whole gzip body with ISA-L."""

from __future__ import annotations

import sys

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from corpus.worker import Undecoded, gunzipped
from scraper.failures import PageRefused


class IsalHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Decode response bodies as Scrapy does, a gzip one made of whole members in about a
    third of the time (ISA-L in one call, where Scrapy reads a ``GzipFile`` in 64 KiB steps).

    Such a body inflates to the same bytes in any decoder; a cut or corrupt one, or one past
    ``DOWNLOAD_MAXSIZE``, is read by Scrapy's own lenient code, with its errors and warnings.
    A body that inflates past ``DOWNLOAD_MAXSIZE`` (a gzip bomb) is a page refused.
    """

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)  # Scrapy deprecates spider
        except IgnoreRequest as refused:
            raise PageRefused(*refused.args) from refused

    @staticmethod
    def _decode(body: bytes, encoding: bytes, max_size: int) -> bytes:
        if encoding in (b"gzip", b"x-gzip"):
            try:
                return gunzipped(body, max_size or sys.maxsize)
            except Undecoded:
                pass
        return HttpCompressionMiddleware._decode(body, encoding, max_size)
