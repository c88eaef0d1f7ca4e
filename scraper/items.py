"""Items passed from the spider to the pipelines."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from itemadapter.adapter import AdapterInterface
from scrapy.http import Request, Response, TextResponse

from corpus.article import Article
from corpus.charset import declared_encoding as declared_body_encoding
from scraper import meta

if TYPE_CHECKING:
    from scraper.fromarchive import ArchivedBody


@dataclass(frozen=True)
class Prefetched:
    """The extraction made of an article response by the worker that archived it
    (``WARC_PACK_WITH_EXTRACTION``): the article, or the error that stopped it."""

    article: Article | None
    error: Exception | None

    def result(self) -> Article | None:
        """The article (``None``: nothing to extract); raise the worker's error if it failed."""
        if self.error is not None:
            raise self.error
        return self.article


@dataclass(frozen=True)
class ArchivedArticle:
    """An article response archived by the extraction worker (``WARC_PACK_WITH_EXTRACTION``):
    where its response record went (``None``: it was not archived, ``failure`` says why), and
    the worker's extraction (``None``: no worker made one, the pipeline extracts the item)."""

    warc: dict[str, Any] | None
    extraction: Prefetched | None
    failure: str = ""


#: The archiving, with extraction, of each article response under way or done, by its request:
#: the response the spider gets (as it came, or decoded) takes it. A redirect, a refresh or a
#: retry asks with a new request, which has none; nothing of it travels in a request's meta.
PREFETCHED: WeakKeyDictionary[Request, asyncio.Future[ArchivedArticle]] = WeakKeyDictionary()


@dataclass
class PageItem:
    """A fetched article candidate: its raw HTML, provenance and, later, its extraction.

    ``requested_url`` is the canonical URL the spider asked for (``url`` is where
    redirects ended); ``sequence`` numbers the items in the order the spider
    yielded them; ``outcome``, ``corpus_id`` and ``entry`` (its ``index.jsonl`` line)
    say what the pipelines made of it. An item read back from the archive may have
    no ``body`` but ``archived``: where the extraction worker reads it. ``prefetched`` is
    the archiving, with extraction, of the response by an extraction worker: until it is
    done, ``warc`` is empty.
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
    entry: dict[str, Any] | None = field(default=None, repr=False)
    archived: ArchivedBody | None = None
    prefetched: asyncio.Future[ArchivedArticle] | None = field(default=None, repr=False)


class PageItemAdapter(AdapterInterface):
    """What feed exports (``-o items.jsonl``) see of a :class:`PageItem`: its corpus entry.

    A stored article exports its ``index.jsonl`` line plus ``outcome``; an item not
    stored (no corpus pipeline) exports its URL, source, fetch time and WARC record.
    The raw body and the extracted article never leave the crawl.
    """

    @classmethod
    def is_item_class(cls, item_class: type) -> bool:
        return issubclass(item_class, PageItem)

    def _fields(self) -> dict[str, Any]:
        item: PageItem = self.item
        if item.entry is not None:
            return {**item.entry, "outcome": item.outcome}
        return {
            "url": item.url,
            "source": item.source,
            "fetched_at": item.fetched_at,
            "warc": item.warc,
            "outcome": item.outcome,
        }

    def __getitem__(self, name: str) -> Any:
        return self._fields()[name]

    def __setitem__(self, name: str, value: Any) -> None:
        raise TypeError(f"a {type(self.item).__name__} exports its corpus entry, read-only: {name}")

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"a {type(self.item).__name__} exports its corpus entry, read-only: {name}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields())

    def __len__(self) -> int:
        return len(self._fields())


# itemadapter keeps its adapters in a deque, typed as a plain iterable.
cast("deque[type[AdapterInterface]]", ItemAdapter.ADAPTER_CLASSES).appendleft(PageItemAdapter)


#: A page bigger than this is archived but not extracted (``too-large``): nearly four times the
#: largest of 1,248 real pages (2.2 MB). Extraction takes about 70 MB of memory and 1.3 s of
#: CPU for each MB of HTML (a 16.8 MB page: 1.2 GB, 22 s), all of it in one worker at once.
MAX_EXTRACTED_BYTES = 8 * 1024 * 1024


def unfit_for_extraction(response: Response) -> str | None:
    """Why an article response is not extracted (``not-html``, ``truncated``, ``too-large``);
    ``None`` if it is fit."""
    kind = response.headers.get(b"Content-Type") or b"text/html"
    if not isinstance(response, TextResponse) or b"html" not in kind:
        return "not-html"
    if meta.DOWNLOAD_STOPPED in response.flags or meta.DATALOSS in response.flags:
        return "truncated"
    if len(response.body) > MAX_EXTRACTED_BYTES:
        return "too-large"
    return None


def declared_encoding(response: Response) -> str | None:
    """The encoding ``response`` declares (BOM, HTTP header, or markup, in Scrapy's order), if any.

    Extraction gets this, not ``response.encoding``: for a page that declares none, Scrapy
    guesses from the bytes (a Latin-1 page in Portuguese came out as cp1250, "São" as "Săo"),
    where :func:`corpus.extract.decode` reads UTF-8, else the charset the markup names, else
    cp1252, as browsers do, and as the corpus library does for the same bytes.
    """
    if not isinstance(response, TextResponse):
        return None
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    return declared_body_encoding(response.body, content_type)
