"""Items passed from the spider to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapy.http import Response, TextResponse

from corpus.article import Article


@dataclass
class PageItem:
    """A fetched article candidate: its raw HTML, provenance and, later, its extraction.

    ``requested_url`` is the canonical URL the spider asked for (``url`` is where
    redirects ended); ``sequence`` numbers the items in the order the spider
    yielded them; ``outcome`` and ``corpus_id`` say what the pipelines made of it.
    """

    url: str
    source: str
    fetched_at: str
    warc: dict[str, Any]
    body: bytes = field(repr=False)
    encoding: str | None = None
    article: Article | None = field(default=None, repr=False)
    requested_url: str = ""
    recrawl: bool = False
    sequence: int | None = None
    outcome: str | None = None
    corpus_id: int | None = None


def unfit_for_extraction(response: Response) -> str | None:
    """Why an article response is not extracted (``not-html``, ``truncated``); ``None`` if it is fit."""
    kind = response.headers.get(b"Content-Type") or b"text/html"
    if not isinstance(response, TextResponse) or b"html" not in kind:
        return "not-html"
    if "download_stopped" in response.flags or "dataloss" in response.flags:
        return "truncated"
    return None
