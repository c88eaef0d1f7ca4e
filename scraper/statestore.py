"""Which crawl state store a crawl uses (``CRAWL_STATE_STORE``), and how commands read it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from scrapy.utils.misc import load_object

from scraper import exitcodes
from scraper.paths import state_path
from scraper.shared.connection import SharedCrawlError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from scraper.state import CrawlStateStore

SQLITE_STORE = "scraper.state.CrawlState"
REDIS_STORE = "scraper.shared.state.RedisCrawlState"


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
        raise StateUnreadable(str(error), exitcodes.FAILED) from error
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
