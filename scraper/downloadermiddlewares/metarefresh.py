"""Meta refresh redirects, found without decoding the whole page."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse

from scraper.items import declared_encoding

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.http import Response

# Scrapy looks for the tag in the first 4096 characters of the page; no encoding takes
# more than 8 bytes for a character, escapes included.
HEAD_BYTES = 8 * 4096


#: Bytes a stateful encoding drops between two letters (ISO-2022's escapes, HZ's line
#: continuation): in such a one the bytes "re" ESC "(B" "fresh" are the word "refresh".
_VANISHING = (b"\x1b(B", b"~\n")


@lru_cache(maxsize=64)
def spells_ascii_in_bytes(encoding: str) -> bool:
    """Whether a page in ``encoding`` holds an ASCII word, in any case, only as its very bytes:
    true of UTF-8 and the single-byte encodings, not of UTF-16 or ISO-2022-JP."""
    probe = "<meta http-equiv=Refresh>"
    try:
        if probe.encode(encoding) != probe.encode("ascii"):
            return False
        return all(
            (b"re" + dropped + b"fresh").decode(encoding, "replace") != "refresh"
            for dropped in _VANISHING
        )
    except (LookupError, UnicodeError):
        return False


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``, given only the head of a long page that declares its
    encoding: Scrapy's decodes every page whole (``response.text``) to read its first 4096
    characters, which costs the crawl process a millisecond per article page. The answer is
    the same: those characters are within the first ``HEAD_BYTES`` bytes.

    A page in an encoding that spells ASCII as its bytes (UTF-8, the single-byte ones) and
    whose head lacks the bytes of "refresh", in any case, has no such tag: it goes on as it
    came, undecoded, as most article pages do.
    """

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        encoding = declared_encoding(response) if isinstance(response, HtmlResponse) else None
        if encoding:
            if (
                spells_ascii_in_bytes(encoding)
                and b"refresh" not in response.body[:HEAD_BYTES].lower()
            ):
                return response
            if len(response.body) <= HEAD_BYTES:
                return super().process_response(request, response)
            head = response.replace(body=response.body[:HEAD_BYTES])
            answer = super().process_response(request, head)
            return response if answer is head else answer
        return super().process_response(request, response)
