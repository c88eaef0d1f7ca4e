"""The base of the commands that probe a site: ``addsource`` and ``checksource``."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from scraper.commandline import CheckedCommand

DEFAULT_SAMPLES = 5


class ProbeCommand(CheckedCommand, ScrapyCommand):
    """Offers ``--samples`` and logs warnings only, unless ``-L`` asks otherwise: the report is the output."""

    requires_project = True

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--samples",
            type=int,
            default=DEFAULT_SAMPLES,
            help=f"articles to sample (default {DEFAULT_SAMPLES})",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if opts.samples < 1:
            raise UsageError(f"--samples {opts.samples}: give 1 or more", print_help=False)
        if not opts.loglevel:
            self.settings.set("LOG_LEVEL", "WARNING", priority="spider")
        super().process_options(args, opts)
