"""The crawl state store: its contract, which one a crawl uses (``CRAWL_STATE_STORE``), and
how commands read it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, Self

from scrapy.utils.misc import load_object

from scraper import exitcodes
from scraper.paths import state_path
from scraper.shared.connection import SharedCrawlError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from scraper.state import Capture, UrlState

SQLITE_STORE = "scraper.state.CrawlState"
REDIS_STORE = "scraper.shared.state.RedisCrawlState"


class CrawlStateStore(Protocol):
    """What a crawl state store does, whichever keeps it (``CRAWL_STATE_STORE``): SQLite
    (``scraper.state.CrawlState``) or Redis for a shared crawl (``scraper.shared.state.RedisCrawlState``).

    Writes that fail for want of disk or storage raise :class:`StateWriteFailed`.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The store of a crawl, opened to read and write."""
        ...

    @classmethod
    def open_to_read(cls, settings: BaseSettings) -> Self | None:
        """The store as it is, to read only; None when nothing was crawled yet."""
        ...

    @classmethod
    def check_state(cls, settings: BaseSettings) -> None:
        """Raise :class:`scraper.state.StateUnusable` unless the store can be crawled with."""
        ...

    @classmethod
    def forget_corpus_ids_above(cls, settings: BaseSettings, last_id: int | None) -> int:
        """Unsettle the URLs recorded as written to a corpus id past ``last_id``; how many.

        ``last_id`` is the highest id the corpus manifest lists (``None``: none); a higher one
        was cut from it as a torn line, so those articles must be written again.
        """
        ...

    def get(self, url: str) -> UrlState | None:
        """Everything remembered about the canonical ``url``."""
        ...

    def record_fetch(
        self,
        url: str,
        *,
        source: str,
        kind: str,
        fetched_at: str,
        status: int,
        etag: str | None = None,
        last_modified: str | None = None,
        capture: Capture | None = None,
    ) -> None:
        """Remember a fetch; ``capture`` is the full response record, if this fetch wrote one."""
        ...

    def record_outcome(self, url: str, outcome: str, corpus_id: int | None = None) -> None:
        """Remember what became of an article URL."""
        ...

    def articles_fetched_before(self, source: str, cutoff: str) -> Iterator[str]:
        """Yield article URLs of ``source`` last fetched before ``cutoff`` (a WARC-Date)."""
        ...

    def record_run(self, run: str, source: str, figures: dict[str, Any]) -> None:
        """Keep the summary figures of one source for one run."""
        ...

    def last_run(self, source: str) -> tuple[str, dict[str, Any]] | None:
        """Return the start time and figures of the last run of ``source``, if any."""
        ...

    def recent_runs(self, source: str, count: int) -> list[dict[str, Any]]:
        """Return the figures of the last ``count`` runs of ``source``, newest first."""
        ...

    def runs_since(self, source: str, since: str) -> list[tuple[str, dict[str, Any]]]:
        """Return the start times and figures of the runs of ``source`` started at ``since`` or later."""
        ...

    def close(self) -> None:
        """Let go of the file or connection."""
        ...


class StateUnreadable(Exception):
    """The crawl state cannot be read; the message names it, ``exitcode`` is the command's."""

    def __init__(self, message: str, exitcode: int) -> None:
        super().__init__(message)
        self.exitcode = exitcode


def store_class(settings: BaseSettings) -> type[CrawlStateStore]:
    """The class of ``CRAWL_STATE_STORE``; unset, the SQLite store, or Redis for ``REDIS_URL``."""
    default = REDIS_STORE if settings.get("REDIS_URL") else SQLITE_STORE
    return load_object(settings.get("CRAWL_STATE_STORE") or default)


@contextmanager
def reading_state(settings: BaseSettings) -> Iterator[CrawlStateStore | None]:
    """The crawl state as it is, to read (None before the first crawl); closed after.

    Raises :class:`StateUnreadable` when Redis cannot be reached (exit code FAILED), the
    state file cannot be opened (IO_ERROR) or turns out no sound database (CONFIG).
    """
    path = state_path(settings)
    try:
        state = store_class(settings).open_to_read(settings)
    except SharedCrawlError as error:
        raise StateUnreadable(str(error), error.code) from error
    except sqlite3.Error as error:
        message = f"{path}: cannot read the crawl state: {error}"
        raise StateUnreadable(message, exitcodes.IO_ERROR) from error
    try:
        yield state
    except sqlite3.DatabaseError as error:
        message = f"{path}: cannot read the crawl state: {error}"
        raise StateUnreadable(message, exitcodes.CONFIG) from error
    finally:
        if state is not None:
            state.close()
