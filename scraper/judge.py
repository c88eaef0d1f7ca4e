"""The crawl's verdict on an extracted page: the corpus filters with a source's settings.

One place for the judgement, so the crawl's FilterPipeline, ``checksource``/``addsource``
and ``scrapy extract`` leave out the same pages for the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.filters import rejection_reason

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from corpus.article import Article
    from scraper.sources import Source


@dataclass(frozen=True)
class Judge:
    """Why an article of a source stays out of the corpus (``CORPUS_MIN_WORDS``, ``CORPUS_MAX_LINK_RATIO``)."""

    min_words: int
    max_link_ratio: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Judge:
        return cls(
            settings.getint("CORPUS_MIN_WORDS"),
            settings.getfloat("CORPUS_MAX_LINK_RATIO"),
        )

    def reason(self, article: Article | None, source: Source | None) -> str | None:
        """The filter's reason to leave ``article`` out, or ``None`` to write it; with no source,
        the defaults and no topic filter."""
        min_words = (
            source.min_words
            if source is not None and source.min_words is not None
            else self.min_words
        )
        return rejection_reason(
            article,
            min_words=min_words,
            max_link_ratio=self.max_link_ratio,
            topic=source.topic if source is not None else None,
        )

    def verdict(self, article: Article | None, source: Source | None) -> str:
        """``written`` or ``filtered:<reason>``, as the crawl state records it."""
        reason = self.reason(article, source)
        return f"filtered:{reason}" if reason else "written"
