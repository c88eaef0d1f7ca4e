"""The sources a crawl works on: ``SOURCES_FILE`` read once, kept on the crawler for all."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from scraper.sources import Source, load_sources, select_sources, source_for_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_ON_CRAWLER = "news_sources"  # the attribute of the crawler that holds its Sources


class Sources(Mapping[str, Source]):
    """The crawl's selected sources by name, in the order they were selected.

    The spider builds it first with its ``source`` argument (``-a source=NAME[,NAME]``);
    pipelines and extensions then get the same object from :meth:`from_crawler`. A crawl
    whose spider did not build it gets the enabled sources.
    """

    def __init__(self, selected: Iterable[Source] = ()) -> None:
        self._by_name = {source.name: source for source in selected}

    @classmethod
    def from_crawler(cls, crawler: Crawler, names: str | None = None) -> Sources:
        """The crawler's sources, read and selected by ``names`` on the first call only."""
        sources = getattr(crawler, _ON_CRAWLER, None)
        if sources is None:
            configured = load_sources(crawler.settings.get("SOURCES_FILE"))
            sources = cls(select_sources(configured, names))
            setattr(crawler, _ON_CRAWLER, sources)
        return sources

    def __getitem__(self, name: str) -> Source:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def for_url(self, url: str) -> Source | None:
        """The source whose site ``url`` is on (of several, the one with the longest URL)."""
        return source_for_url(self._by_name.values(), url)
