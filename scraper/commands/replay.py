"""``scrapy replay``: rebuild the corpus from the WARC archive, offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import BaseRunSpiderCommand

from scraper import exitcodes
from scraper.commandline import CheckedCommand
from scraper.paths import archive_dir, data_dir
from scraper.replay.preflight import refusal
from scraper.replay.spider import ReplaySpider
from scraper.sources import SourcesError, load_sources, select_sources

DEFAULT_CORPUS = "corpus-replay"  # under DATA_DIR


class Command(CheckedCommand, BaseRunSpiderCommand):
    """Run every archived article through extraction, filters and the corpus store again."""

    requires_project = True

    def syntax(self) -> str:
        return "[--archive DIR] [--corpus DIR] [-a source=NAME[,NAME]]"

    def short_desc(self) -> str:
        return "Rebuild the corpus from the WARC archive, with no network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--archive", help="WARC files to read (default ARCHIVE_DIR)")
        parser.add_argument(
            "--corpus", help=f"new corpus to write; must not hold one yet (default DATA_DIR/{DEFAULT_CORPUS})"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        try:
            select_sources(load_sources(self.settings.get("SOURCES_FILE", "sources.toml")), opts.spargs.get("source"))
        except SourcesError as error:
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = exitcodes.CONFIG
            return
        archive = Path(opts.archive) if opts.archive else archive_dir(self.settings)
        corpus = Path(opts.corpus) if opts.corpus else data_dir(self.settings) / DEFAULT_CORPUS
        refused = refusal(archive, corpus, "replay", "pass another --corpus")
        if refused:
            print(f"error: {refused}", file=sys.stderr)
            self.exitcode = exitcodes.CONFIG
            return
        self.settings.set("CORPUS_DIR", str(corpus), priority="cmdline")
        self.crawler_process.crawl(ReplaySpider, archive=archive, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = exitcodes.FAILED
            return
        print(f"Replayed {archive} into {corpus}")

