"""``scrapy sources``: check the sources file and list each source with its last crawl."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand

from scraper.commandline import CheckedCommand, CommandFailed, reports_failure
from scraper.extensions.summary import summary_line
from scraper.statestore import StateUnreadable, reading_state


class Command(CheckedCommand, ScrapyCommand):
    """Validate ``SOURCES_FILE``; print each source, its URL and its last run's figures."""

    requires_project = True
    requires_crawler_process = False  # it reads, and prints only its list

    def syntax(self) -> str:
        return ""

    def short_desc(self) -> str:
        return "Check the sources file and list the sources with their last crawl's figures"

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        path = self.settings.get("SOURCES_FILE")
        sources = self.sources_file()
        print(f"{path}: {len(sources)} sources, valid")
        self.warn_if_state_is_in_redis()
        try:
            with reading_state(self.settings) as state:
                width = max((len(source.name) for source in sources), default=0)
                for source in sources:
                    flag = "" if source.enabled else " (disabled)"
                    last = state.last_run(source.name) if state else None
                    run = (
                        f"last run {last[0]}: {summary_line(last[1])}" if last else "never crawled"
                    )
                    print(f"  {source.name:<{width}}  {source.url}{flag}\n  {'':<{width}}  {run}")
        except StateUnreadable as error:
            raise CommandFailed(str(error), error.exitcode) from None
