"""``scrapy crawl``, with the sources file checked before anything is fetched."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from scraper.sources import SourcesError, load_sources, select_sources


class Command(ScrapyCrawlCommand):
    """Scrapy's crawl command; a bad ``SOURCES_FILE`` stops it with a one-line message."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "news":
            try:
                sources = load_sources(self.settings.get("SOURCES_FILE", "sources.toml"))
                select_sources(sources, opts.spargs.get("source"))
            except SourcesError as error:
                print(f"error: {error}", file=sys.stderr)
                self.exitcode = 2
                return
        super().run(args, opts)
