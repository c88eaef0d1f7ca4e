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


def spelled_in_ascii_bytes(body: bytes, encoding: str | None) -> bool:
    """Whether ``body``, decoded as Scrapy decodes it, holds an ASCII word only as its very bytes.

    Without a declared encoding Scrapy infers ASCII, else UTF-8, else what charset-normalizer
    guesses; the first two spell ASCII as its bytes, a guess may not.
    """
    if encoding is not None:
        return spells_ascii_in_bytes(encoding)
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``, given only the head of a long page that declares its
    encoding: Scrapy's decodes every page whole (``response.text``) to read its first 4096
    characters, which costs the crawl process a millisecond per article page. The answer is
    the same: those characters are within the first ``HEAD_BYTES`` bytes.

    A page that spells ASCII as its bytes (in UTF-8 or a single-byte encoding it declares, or
    one that declares none and is ASCII or UTF-8) and whose head lacks the bytes of "refresh",
    in any case, has no such tag: it goes on as it came, undecoded, as most article pages do.
    """

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if not isinstance(response, HtmlResponse):
            return super().process_response(request, response)
        encoding = declared_encoding(response)
        if b"refresh" not in response.body[:HEAD_BYTES].lower() and spelled_in_ascii_bytes(
            response.body, encoding
        ):
            return response
        if encoding is None or len(response.body) <= HEAD_BYTES:
            return super().process_response(request, response)
        head = response.replace(body=response.body[:HEAD_BYTES])
        answer = super().process_response(request, head)
        return response if answer is head else answer
