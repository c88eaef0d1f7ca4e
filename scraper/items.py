"""Items passed from the spider to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpus.article import Article


@dataclass
class PageItem:
    """A fetched article candidate: its raw HTML, provenance and, later, its extraction.

    ``requested_url`` is the canonical URL the spider asked for (``url`` is where
    redirects ended); ``outcome`` and ``corpus_id`` say what the pipelines made of it.
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
    outcome: str | None = None
    corpus_id: int | None = None
