"""``scrapy crawl``, with the sources file checked and ``DATA_DIR`` locked before anything is fetched."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from scraper.lock import DataDirBusy, DataDirLock
from scraper.paths import corpus_dir, data_dir
from scraper.replay.preflight import refusal
from scraper.shared.connection import SharedCrawlError, connect
from scraper.sources import SourcesError, load_sources, select_sources

EXIT_BAD_SOURCES = 2
EXIT_REFUSED = 1
EXIT_BUSY = 75  # EX_TEMPFAIL: try again later


class Command(ScrapyCrawlCommand):
    """Scrapy's crawl command; a bad ``SOURCES_FILE``, a busy ``DATA_DIR``, an unusable
    ``REPLAY_ARCHIVE`` or an unreachable ``REDIS_URL`` stops it with one line."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "news":
            try:
                sources = load_sources(self.settings.get("SOURCES_FILE", "sources.toml"))
                select_sources(sources, opts.spargs.get("source"))
            except SourcesError as error:
                print(f"error: {error}", file=sys.stderr)
                self.exitcode = EXIT_BAD_SOURCES
                return
            archive = self.settings.get("REPLAY_ARCHIVE")
            refused = archive and refusal(
                Path(archive), corpus_dir(self.settings), "a crawl from the archive", "set DATA_DIR or CORPUS_DIR"
            )
            if refused:
                print(f"error: REPLAY_ARCHIVE: {refused}", file=sys.stderr)
                self.exitcode = EXIT_REFUSED
                return
            shared = bool(self.settings.get("REDIS_URL"))
            if shared:
                try:
                    connect(self.settings).close()
                except SharedCrawlError as error:
                    print(f"error: {error}", file=sys.stderr)
                    self.exitcode = EXIT_REFUSED
                    return
            lock = DataDirLock(data_dir(self.settings), shared=shared)
            try:
                lock.acquire()
            except DataDirBusy as error:
                print(f"error: {error}", file=sys.stderr)
                self.exitcode = EXIT_BUSY
                return
            try:
                super().run(args, opts)
            finally:
                lock.release()
            return
        super().run(args, opts)
