"""Whether a response is archived as a revisit, and of which capture: the crawl state decides."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.digest import sha1_digest
from archive.exchange import Revisit
from archive.records import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED
from corpus.urls import canonicalize

if TYPE_CHECKING:
    from scrapy.http import Request, Response

    from scraper.statestore import CrawlStateStore


class RevisitPolicy:
    """A 304 revisits the URL's last capture (server-not-modified), and so does a 200 whose
    full payload equals it (identical-payload-digest); without a crawl state, nothing does."""

    def __init__(self, state: CrawlStateStore | None) -> None:
        self.state = state

    def revisit_of(
        self, request: Request, response: Response, truncated: str | None
    ) -> Revisit | None:
        """The capture ``response`` stands for, and by which profile, or None for a full record."""
        known = self.state.get(canonicalize(request.url)) if self.state else None
        original = known.capture if known else None
        if original is None:
            return None
        if response.status == 304:
            return original.revisit(PROFILE_NOT_MODIFIED)
        if (
            response.status == 200
            and not truncated
            and sha1_digest(response.body) == original.payload_digest
        ):
            return original.revisit(PROFILE_IDENTICAL)
        return None
