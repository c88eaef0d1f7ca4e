"""The ``rejudge`` spider: archived articles a crawl filtered are judged again, into the live corpus.

``scrapy replay --in-place`` runs it after a change of ``sources.toml`` (wider keywords,
a lower ``min_words``): each archived article response whose URL the crawl state does not
already settle (in the corpus, or gone) goes through the same extraction, filters and
corpus store as live; what passes now gets the next corpus numbers, and the crawl state
records the new outcome of every page judged, so the next crawl knows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archive.capture import ArchivedPage
from corpus.urls import canonicalize
from scraper.components import turn_off
from scraper.extensions.crawlstate import crawl_state
from scraper.extensions.report import ReportExtension
from scraper.replay.spider import FETCHING_ONLY, ReplaySpider

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

FILTERED = "filtered:"


class RejudgeSpider(ReplaySpider):
    """Replay the archive into ``CORPUS_DIR`` itself, judging only pages not in the corpus yet."""

    name = "rejudge"
    records_runs = False  # not a crawl: `scrapy sources` and the attention checks ignore it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.judged: set[str] = set()  # canonical URLs sent to the pipelines this run

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        # As replay, but with the crawl state: it tells what is settled and learns the new outcomes.
        super(ReplaySpider, cls).update_settings(settings)
        turn_off(settings, "DOWNLOADER_MIDDLEWARES", *FETCHING_ONLY)
        turn_off(settings, "EXTENSIONS", ReportExtension)
        settings.set("CRAWL_STATE_ENABLED", True, priority="spider")

    def settled(self, page: ArchivedPage) -> bool:
        """In the corpus or gone by the crawl state, or judged already this run (first capture wins)."""
        url = canonicalize(page.url)
        state = crawl_state(self.crawler)
        known = state.get(url) if state else None
        if (
            known is not None
            and known.outcome is not None
            and not known.outcome.startswith(FILTERED)
        ):
            return True
        if url in self.judged:
            return True
        self.judged.add(url)
        return False
