"""Records no log handler takes are not made (scraper.extensions.loglevel)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from scrapy import Spider, signals
from scrapy.utils.test import get_crawler

from scraper.extensions.loglevel import SkipUnlogged

NO_EXTENSIONS = {"EXTENSIONS_BASE": {}}  # none of Scrapy's acts on engine_started here


class Kept(logging.Handler):
    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def made() -> Iterator[list[str]]:
    """The messages of every record made; the root logger's handlers and level restored after."""
    root = logging.getLogger()
    handlers, level, factory = root.handlers[:], root.level, logging.getLogRecordFactory()
    records: list[str] = []

    def counting(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        records.append(record.getMessage())
        return record

    root.setLevel(logging.NOTSET)
    logging.setLogRecordFactory(counting)
    try:
        yield records
    finally:
        logging.setLogRecordFactory(factory)
        root.handlers = handlers
        root.setLevel(level)


def test_a_debug_line_at_info_is_not_made(made: list[str]) -> None:
    crawler = get_crawler(Spider, NO_EXTENSIONS)
    handler = Kept(logging.INFO)
    logging.getLogger().handlers = [handler]  # pytest's own capture takes every level
    made.clear()
    log = logging.getLogger("scraper.test")
    log.debug("made and thrown away")
    assert made == ["made and thrown away"]

    extension = SkipUnlogged.from_crawler(crawler)  # noqa: F841 - signals hold it weakly
    log.debug("made: Scrapy sets the root logger's level after building the extensions")
    crawler.signals.send_catch_log(signals.engine_started)
    log.debug("not made")
    log.info("logged")
    assert made == [
        "made and thrown away",
        "made: Scrapy sets the root logger's level after building the extensions",
        "logged",
    ]
    assert handler.messages == ["logged"]


def test_debug_lines_stay_when_a_handler_takes_them(made: list[str]) -> None:
    crawler = get_crawler(Spider, NO_EXTENSIONS)
    handler = Kept(logging.DEBUG)
    logging.getLogger().handlers = [Kept(logging.INFO), handler]
    extension = SkipUnlogged.from_crawler(crawler)  # noqa: F841 - signals hold it weakly
    crawler.signals.send_catch_log(signals.engine_started)
    logging.getLogger("scraper.test").debug("kept")
    assert handler.messages == ["kept"]


def test_a_handler_without_a_level_takes_every_record(made: list[str]) -> None:
    crawler = get_crawler(Spider, NO_EXTENSIONS)
    logging.getLogger().handlers = [Kept(logging.INFO), Kept(logging.NOTSET)]
    extension = SkipUnlogged.from_crawler(crawler)  # noqa: F841 - signals hold it weakly
    crawler.signals.send_catch_log(signals.engine_started)
    assert logging.getLogger().level == logging.NOTSET
