"""Meta refresh redirects, found without decoding the whole page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.http import Response

# Scrapy looks for the tag in the first 4096 characters of the page; no encoding takes
# more than 8 bytes for a character, escapes included.
HEAD_BYTES = 8 * 4096


def declares_encoding(response: HtmlResponse) -> bool:
    """Whether the page says its encoding (BOM, HTTP header, or markup), as most do."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    return bool(
        read_bom(response.body)[0]
        or http_content_type_encoding(content_type)
        or html_body_declared_encoding(response.body)
    )


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``, given only the head of a long page that declares its
    encoding: Scrapy's decodes every page whole (``response.text``) to read its first 4096
    characters, which costs the crawl process a millisecond per article page. The answer is
    the same: those characters are within the first ``HEAD_BYTES`` bytes.
    """

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if (
            isinstance(response, HtmlResponse)
            and len(response.body) > HEAD_BYTES
            and declares_encoding(response)
        ):
            head = response.replace(body=response.body[:HEAD_BYTES])
            answer = super().process_response(request, head)
            return response if answer is head else answer
        return super().process_response(request, response)
