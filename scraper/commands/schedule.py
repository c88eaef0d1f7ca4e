"""``scrapy schedule --every 1h``: run ``scrapy crawl news`` each interval, in a fresh process."""

from __future__ import annotations

import argparse
import logging
import random
import re
import signal
import subprocess
import sys
import threading
import time

from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError

logger = logging.getLogger(__name__)

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Parse ``90``, ``90s``, ``15m``, ``1h`` or ``1d`` into seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise UsageError(f"invalid duration {text!r}: use a number with s, m, h or d, like 15m or 1h")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class Command(BaseRunSpiderCommand):
    """Run the news crawl every interval, with jitter, until stopped (SIGINT or SIGTERM).

    Each run is a new ``scrapy crawl news`` process, since Scrapy's reactor cannot
    restart in one process; ``-a`` and ``-s`` options are passed on to every run.
    """

    requires_project = True

    def syntax(self) -> str:
        return "--every INTERVAL [--jitter INTERVAL] [--runs N] [-a source=NAME] [-s NAME=VALUE]"

    def short_desc(self) -> str:
        return "Run the news crawl every INTERVAL, each in a fresh process"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--every", required=True, help="interval between run starts: 30m, 1h, 1d")
        parser.add_argument("--jitter", default=None, help="random extra wait before each run (default: a tenth of --every)")
        parser.add_argument("--runs", type=int, default=0, help="stop after this many runs (default: never)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        every = parse_duration(opts.every)
        jitter = parse_duration(opts.jitter) if opts.jitter is not None else every / 10
        command = [sys.executable, "-m", "scrapy", "crawl", "news"]
        for name, value in opts.spargs.items():
            command += ["-a", f"{name}={value}"]
        for setting in opts.set:
            command += ["-s", setting]
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        number = 0
        while not stop.is_set() and (not opts.runs or number < opts.runs):
            number += 1
            started = time.monotonic()
            if self._run_once(command, number, opts.runs, stop) not in (0, 75):
                self.exitcode = 1
            if opts.runs and number >= opts.runs:
                break
            wait = max(0.0, every - (time.monotonic() - started)) + random.uniform(0, jitter)
            self._log(f"next run in {wait:.0f} s")
            stop.wait(wait)
        self._log("stopped" if stop.is_set() else f"done after {number} run(s)")

    def _run_once(self, command: list[str], number: int, total: int, stop: threading.Event) -> int:
        label = f"run {number}" + (f" of {total}" if total else "")
        self._log(f"{label}: {' '.join(command[2:])}")
        started = time.monotonic()
        # Its own session: a Ctrl-C reaches only us, and we pass on a single SIGTERM,
        # on which Scrapy closes the spider cleanly (a second signal would force it).
        process = subprocess.Popen(command, start_new_session=True)
        terminated = False
        while process.poll() is None:
            if stop.wait(0.5) and not terminated:
                process.terminate()
                terminated = True
        elapsed = time.monotonic() - started
        outcome = {0: "finished", 75: "skipped: another crawl holds DATA_DIR"}.get(
            process.returncode, f"failed with exit code {process.returncode}"
        )
        self._log(f"{label} {outcome} in {elapsed:.1f} s")
        return process.returncode

    @staticmethod
    def _log(message: str) -> None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [schedule] {message}", file=sys.stderr, flush=True)
