"""Why a page was fetched, kept as named fields of its WARC request record.

WARC 1.1 lets writers add named fields; readers that do not know them (warcio,
pywb, py-wacz) pass over them. These let ``scrapy replay`` treat each archived
response as the crawl did: which source it belongs to, what the spider asked it
for (an article, a feed, a section page...) and whether it was a re-fetch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SOURCE_FIELD = "News-Source"
KIND_FIELD = "News-Kind"
RECRAWL_FIELD = "News-Recrawl"


@dataclass(frozen=True)
class CrawlContext:
    """The source, kind and recrawl flag of one fetch; all unknown for other tools' WARCs."""

    source: str | None = None
    kind: str | None = None
    recrawl: bool = False

    def fields(self) -> list[tuple[str, str]]:
        """The named fields to add to the request record."""
        fields = [
            (name, value)
            for name, value in ((SOURCE_FIELD, self.source), (KIND_FIELD, self.kind))
            if value
        ]
        return fields + [(RECRAWL_FIELD, "true")] if self.recrawl else fields

    @classmethod
    def from_record(cls, header: Callable[[str], str | None]) -> CrawlContext:
        """Read the context back with ``header(name)``, e.g. warcio's ``rec_headers.get_header``."""
        return cls(
            header(SOURCE_FIELD) or None,
            header(KIND_FIELD) or None,
            header(RECRAWL_FIELD) == "true",
        )
