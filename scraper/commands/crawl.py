"""``scrapy crawl``, with the sources file checked and ``DATA_DIR`` locked before anything is fetched."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from corpus.manifest import MANIFEST
from corpus.store import CorpusStore, ManifestError
from scraper import exitcodes
from scraper.commandline import CheckedCommand
from scraper.lock import DataDirBusy, DataDirLock
from scraper.paths import corpus_dir, data_dir, state_path
from scraper.replay.preflight import refusal
from scraper.shared.connection import SharedCrawlError, connect
from scraper.sources import SourcesError, load_sources, select_sources
from scraper.state import CrawlState, StateUnusable, StateWriteFailed, check_state
from scraper.statestore import store_class

logger = logging.getLogger(__name__)


class Command(CheckedCommand, ScrapyCrawlCommand):
    """Scrapy's crawl command; a bad ``SOURCES_FILE``, a busy ``DATA_DIR``, an unusable
    ``REPLAY_ARCHIVE``, an unreachable ``REDIS_URL`` or a damaged corpus manifest stops it
    with one line; the exit code says how the run went (:mod:`scraper.exitcodes`)."""

    crawler: Crawler | None = None

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "news":
            try:
                path = self.settings.get("SOURCES_FILE")
                sources = load_sources(path)
                if not select_sources(sources, opts.spargs.get("source")):
                    raise SourcesError(
                        f"{path}: every source is disabled (enabled = false): nothing to crawl"
                        if sources
                        else f"{path}: no [[source]] in it: nothing to crawl (scrapy addsource adds one)"
                    )
            except SourcesError as error:
                print(f"error: {error}", file=sys.stderr)
                self.exitcode = exitcodes.CONFIG
                return
            archive = self.settings.get("REPLAY_ARCHIVE")
            refused = archive and refusal(
                Path(archive),
                corpus_dir(self.settings),
                "a crawl from the archive",
                "set DATA_DIR or CORPUS_DIR",
            )
            if refused:
                print(f"error: REPLAY_ARCHIVE: {refused}", file=sys.stderr)
                self.exitcode = exitcodes.CONFIG
                return
            shared = bool(self.settings.get("REDIS_URL"))
            if shared:
                try:
                    connect(self.settings).close()
                except SharedCrawlError as error:
                    print(f"error: {error}", file=sys.stderr)
                    self.exitcode = exitcodes.FAILED
                    return
            lock = DataDirLock(data_dir(self.settings), shared=shared)
            try:
                lock.acquire()
            except DataDirBusy as error:
                print(f"error: {error}", file=sys.stderr)
                self.exitcode = exitcodes.BUSY
                return
            except OSError as error:
                print(
                    f"error: DATA_DIR: cannot write {error.filename}: {error.strerror}",
                    file=sys.stderr,
                )
                self.exitcode = exitcodes.IO_ERROR
                return
            try:
                in_sqlite = self.settings.getbool("CRAWL_STATE_ENABLED", True) and issubclass(
                    store_class(self.settings), CrawlState
                )
                if in_sqlite:
                    check_state(state_path(self.settings))
                store = CorpusStore(
                    corpus_dir(self.settings)
                ).open()  # recovers, or names the bad line
                last_id = store.last_id()
                store.close()
                if in_sqlite:
                    self._forget_unwritten(last_id)
                super().run(args, opts)
            except StateUnusable as error:
                print(
                    f"error: {error}; move it away to start a new state (every URL is then fetched anew)",
                    file=sys.stderr,
                )
                self.exitcode = exitcodes.CONFIG
                return
            except StateWriteFailed as error:
                print(f"error: {error}", file=sys.stderr)
                self.exitcode = exitcodes.IO_ERROR
                return
            except ManifestError as error:
                print(f"error: {error}", file=sys.stderr)
                self.exitcode = exitcodes.CONFIG  # nothing is fetched until the line is repaired
                return
            finally:
                lock.release()
            if not self.exitcode and self.crawler is not None and self.crawler.stats is not None:
                # No code means the summary never ran: a forced shutdown (a second Ctrl-C).
                self.exitcode = self.crawler.stats.get_value(exitcodes.STAT, exitcodes.INTERRUPTED)
            return
        super().run(args, opts)

    def _forget_unwritten(self, last_id: int | None) -> None:
        """Unsettle in the crawl state the articles the corpus manifest lost (a torn last line).

        Only for the SQLite state: in a shared crawl (Redis) the ids come from one
        counter for every machine, so ids past this corpus's last are others' articles.
        """
        path = state_path(self.settings)
        state = CrawlState(path)
        try:
            forgotten = state.forget_corpus_ids_above(last_id)
        finally:
            state.close()
        if forgotten:
            logger.warning(
                "%s: %d URL(s) were recorded as written to corpus ids past %s, the last in %s; "
                "their articles are written again when found",
                path,
                forgotten,
                "none" if last_id is None else last_id,
                corpus_dir(self.settings) / MANIFEST,
            )
