"""``scrapy crawl``, with the sources file checked and ``DATA_DIR`` locked before anything is fetched."""

from __future__ import annotations

import argparse
import logging
import sqlite3
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from corpus.lookup import LOOKUP
from corpus.manifest import MANIFEST
from corpus.store import CorpusStore, ManifestError
from scraper import exitcodes
from scraper.commandline import CheckedCommand, CommandFailed, reports_failure
from scraper.paths import corpus_dir, state_path
from scraper.replay.preflight import refusal
from scraper.shared.connection import SharedCrawlError, connect, crawl_name
from scraper.sources import load_sources
from scraper.state import StateUnusable, StateWriteFailed
from scraper.statestore import CrawlStateStore, store_class

logger = logging.getLogger(__name__)


class Command(CheckedCommand, ScrapyCrawlCommand):
    """Scrapy's crawl command; a bad ``SOURCES_FILE``, a busy ``DATA_DIR``, an unusable
    ``REPLAY_ARCHIVE``, an unreachable ``REDIS_URL`` or a damaged corpus manifest stops it
    with one line; the exit code says how the run went (:mod:`scraper.exitcodes`)."""

    crawler: Crawler | None = None

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not (args and args[0] == "news"):
            super().run(args, opts)
            return
        if not self.configured_sources(opts.spargs.get("source")):
            path = self.settings.get("SOURCES_FILE")
            raise CommandFailed(
                f"{path}: every source is disabled (enabled = false): nothing to crawl"
                if load_sources(path)
                else f"{path}: no [[source]] in it: nothing to crawl (scrapy addsource adds one)"
            )
        archive = self.settings.get("REPLAY_ARCHIVE")
        refused = archive and refusal(
            Path(archive),
            corpus_dir(self.settings),
            "a crawl from the archive",
            "set DATA_DIR or CORPUS_DIR",
        )
        if refused:
            raise CommandFailed(f"REPLAY_ARCHIVE: {refused}")
        shared = None
        if self.settings.get("REDIS_URL"):
            try:
                connect(self.settings).close()
            except SharedCrawlError as error:
                raise CommandFailed(str(error), error.code) from None
            shared = crawl_name(self.settings)
        with self.data_dir_locked(shared=shared):
            try:
                state_store = (
                    store_class(self.settings)
                    if self.settings.getbool("CRAWL_STATE_ENABLED")
                    else None
                )
                if state_store is not None:
                    state_store.check_state(self.settings)
                store = CorpusStore(
                    corpus_dir(self.settings)
                ).open()  # recovers, or names the bad line
                last_id = store.last_id()
                store.close()
                if state_store is not None:
                    self._forget_unwritten(state_store, last_id)
                super().run(args, opts)
            except StateUnusable as error:
                raise CommandFailed(
                    f"{error}; move it away to start a new state (every URL is then fetched anew)"
                ) from None
            except StateWriteFailed as error:
                raise CommandFailed(str(error), exitcodes.IO_ERROR) from None
            except (OSError, sqlite3.OperationalError) as error:  # a full or failing disk
                where = getattr(error, "filename", None) or corpus_dir(self.settings) / LOOKUP
                reason = getattr(error, "strerror", None) or error
                raise CommandFailed(f"cannot write {where}: {reason}", exitcodes.IO_ERROR) from None
            except ManifestError as error:
                # Nothing is fetched until the line is repaired.
                raise CommandFailed(str(error)) from None
        if not self.exitcode and self.crawler is not None and self.crawler.stats is not None:
            self.exitcode = exitcodes.summary_code(self.crawler.stats)

    def _forget_unwritten(self, state: type[CrawlStateStore], last_id: int | None) -> None:
        """Unsettle in the crawl state the articles the corpus manifest lost (a torn last line)."""
        forgotten = state.forget_corpus_ids_above(self.settings, last_id)
        if forgotten:
            logger.warning(
                "%s: %d URL(s) were recorded as written to corpus ids past %s, the last in %s; "
                "their articles are written again when found",
                state_path(self.settings),
                forgotten,
                "none" if last_id is None else last_id,
                corpus_dir(self.settings) / MANIFEST,
            )
