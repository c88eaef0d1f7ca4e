"""What every command of the project does before it runs: check settings and spider arguments."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scraper import exitcodes
from scraper.settingscheck import close_names, settings_error, unknown_argument


class CheckedCommand:
    """Mixin for a Scrapy command: a bad setting value or spider argument ends it with one line.

    A setting name close to a known one (``ALLOW_PRIVATE_ADDRESS``) is warned about; a
    value of the wrong type or range (``WARC_GZIP_LEVEL=abc``) and a spider argument
    not in ``spider_arguments`` exit with the configuration error code.
    """

    settings: Any
    spider_arguments: tuple[str, ...] = ("source",)

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)  # type: ignore[misc]
        for name, known in close_names(self.settings).items():
            print(f"warning: unknown setting {name}; did you mean {known}?", file=sys.stderr)
        problem = settings_error(self.settings)
        spargs = getattr(opts, "spargs", None)
        if problem is None and isinstance(spargs, dict):
            problem = unknown_argument(spargs, self.spider_arguments)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            sys.exit(exitcodes.CONFIG)
