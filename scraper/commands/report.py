"""``scrapy report``: one static HTML page on the sources' runs and the corpus."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from corpus.manifest import ManifestError
from scraper import exitcodes
from scraper.commandline import CheckedCommand, CommandFailed, reports_failure
from scraper.extensions.report import report_path, write_report
from scraper.paths import data_dir
from scraper.settingscheck import BOUNDS
from scraper.statestore import StateUnreadable, reading_state


class Command(CheckedCommand, ScrapyCommand):
    """Write the report of ``DATA_DIR`` (crawl state and corpus manifest) to one HTML file."""

    requires_project = True

    def syntax(self) -> str:
        return "[--output FILE] [-a source=NAME[,NAME]] [--days N] [--replay-url URL]"

    def short_desc(self) -> str:
        return "Write an HTML report of the sources' runs and the corpus (DATA_DIR/report.html)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--output", "-o", help="the HTML file to write (default: REPORT_FILE)")
        parser.add_argument(
            "-a",
            dest="spargs",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="source=NAME[,NAME]: report on these sources only",
        )
        parser.add_argument(
            "--days",
            type=int,
            help="days of runs and articles per day shown (default: REPORT_DAYS)",
        )
        parser.add_argument(
            "--replay-url",
            help="where `scrapy serve` runs, for the archived links (default: REPORT_REPLAY_URL)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if opts.days is not None:
            low, high = BOUNDS["REPORT_DAYS"]
            if not low <= opts.days <= (high or opts.days):
                raise UsageError(
                    f"--days must be from {low} to {high}, not {opts.days}", print_help=False
                )
            self.settings.set("REPORT_DAYS", opts.days, priority="cmdline")

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        started = time.monotonic()
        arguments = dict(arg.split("=", 1) for arg in opts.spargs if "=" in arg)
        unknown = [arg for arg in opts.spargs if "=" not in arg or not arg.startswith("source=")]
        if unknown:
            raise CommandFailed(f"-a takes source=NAME[,NAME], not {unknown[0]}")
        names = arguments.get("source")
        selected = self.configured_sources(names)
        only = {source.name for source in selected} if names else None
        output = Path(opts.output) if opts.output else report_path(self.settings)
        self.warn_if_state_is_in_redis()
        directory = data_dir(self.settings)
        if not directory.is_dir() and not self.settings.get("REDIS_URL"):
            raise CommandFailed(f"no crawl to report on: {directory} does not exist (DATA_DIR)")
        try:
            with reading_state(self.settings) as state:
                path, report = write_report(self.settings, state, output, only, opts.replay_url)
        except ManifestError as error:
            raise CommandFailed(str(error)) from None
        except OSError as error:
            raise CommandFailed(
                f"report not written to {output}: {error.strerror or error}", exitcodes.IO_ERROR
            ) from None
        except StateUnreadable as error:
            raise CommandFailed(str(error), error.exitcode) from None
        print(
            f"Report written to {path}: {len(report.sources)} sources, "
            f"{report.articles:,} articles, "
            f"{path.stat().st_size:,} bytes in {time.monotonic() - started:.2f} s"
        )
