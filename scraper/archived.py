"""Scrapy responses made from archived answers (the incremental 304 path, replay, crawl from the archive)."""

from __future__ import annotations

from typing import Any

from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from scraper import meta


def archived_response(
    url: str,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    truncated: bool = False,
    **kwargs: Any,
) -> Response:
    """A response of the class Scrapy would have made (HtmlResponse, XmlResponse...), repeated
    headers kept; flagged ``download_stopped``, as the live crawl flags a body it cut, if the
    record is ``truncated`` (``WARC-Truncated``)."""
    scrapy_headers = Headers()
    for name, value in headers:
        scrapy_headers.appendlist(name, value)
    if truncated:
        kwargs["flags"] = [*kwargs.get("flags", ()), meta.DOWNLOAD_STOPPED]
    kind = responsetypes.from_args(headers=scrapy_headers, url=url, body=body)
    return kind(url=url, status=status, headers=scrapy_headers, body=body, **kwargs)
