"""The character encoding a page declares, read as Scrapy reads it, in the crawl or in a worker."""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom


def declared_encoding(body: bytes, content_type: str) -> str | None:
    """The encoding ``body`` declares (BOM, the ``Content-Type`` header, or markup, in Scrapy's
    order), if any."""
    return (
        read_bom(body)[0]
        or http_content_type_encoding(content_type)
        or html_body_declared_encoding(body)
    )
