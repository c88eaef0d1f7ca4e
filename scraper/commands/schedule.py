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

from scraper import exitcodes
from scraper.commandline import CheckedCommand

logger = logging.getLogger(__name__)

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# A run that ends with one of these stops the schedule: the next runs would fail the same way.
STOPPING_CODES = (exitcodes.CONFIG, exitcodes.IO_ERROR)


#: Seconds between two signals passed on to a crawl: two in one instant would reach it as one.
SIGNAL_GAP = 0.5
#: The longest interval or jitter: a year (a longer wait overflows the clock's timestamps).
MAX_DURATION = 366 * 86400


def parse_duration(text: str) -> float:
    """Parse ``90``, ``90s``, ``15m``, ``1h`` or ``1d`` into seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise UsageError(
            f"invalid duration {text!r}: use a number with s, m, h or d, like 15m or 1h"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > MAX_DURATION:
        raise UsageError(f"invalid duration {text!r}: at most 366d")
    return seconds


class Signals:
    """Ctrl-C and SIGTERM: the first stops the schedule, letting the running crawl close its
    files; each later one is passed on to the crawl, whose second signal forces its stop."""

    def __init__(self) -> None:
        self.count = 0
        self.arrived = threading.Event()

    def __call__(self, *_: object) -> None:
        self.count += 1
        self.arrived.set()

    @property
    def stopping(self) -> bool:
        return self.count > 0

    def wait(self, seconds: float) -> None:
        """Wait up to ``seconds``, or until the next signal."""
        self.arrived.wait(seconds)
        self.arrived.clear()


class Command(CheckedCommand, BaseRunSpiderCommand):
    """Run the news crawl every interval, with jitter, until stopped (SIGINT or SIGTERM).

    Each run is a new ``scrapy crawl news`` process, since Scrapy's reactor cannot
    restart in one process; ``-a`` and ``-s`` options are passed on to every run.
    It exits with the code of its last run (:mod:`scraper.exitcodes`), 130 when a signal
    stopped it; a configuration error or a failed write stops it at once with that code.
    """

    requires_project = True

    def syntax(self) -> str:
        return "--every INTERVAL [--jitter INTERVAL] [--runs N] [-a source=NAME] [-s NAME=VALUE]"

    def short_desc(self) -> str:
        return "Run the news crawl every INTERVAL, each in a fresh process"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--every", required=True, help="interval between run starts, as in 30m, 1h or 1d"
        )
        parser.add_argument(
            "--jitter",
            default=None,
            help="random extra wait before each run (default a tenth of --every)",
        )
        parser.add_argument(
            "--runs", type=int, default=0, help="stop after this many runs (default never)"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        every = parse_duration(opts.every)
        if every <= 0:
            raise UsageError(
                "--every must be longer than 0: a run that fails at once would restart without end"
            )
        if opts.runs < 0:
            raise UsageError(f"--runs {opts.runs}: give 0 (no end) or more")
        jitter = parse_duration(opts.jitter) if opts.jitter is not None else every / 10
        command = [sys.executable, "-m", "scrapy", "crawl", "news"]
        for name, value in opts.spargs.items():
            command += ["-a", f"{name}={value}"]
        for setting in opts.set:
            command += ["-s", setting]
        signals = Signals()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signals)
        number, code = 0, exitcodes.OK
        while not signals.stopping and (not opts.runs or number < opts.runs):
            number += 1
            started = time.monotonic()
            code = self._run_once(command, number, opts.runs, signals)
            if code in STOPPING_CODES:
                logger.error("Stopping the schedule: every later run would end the same way")
                break
            if signals.stopping or (opts.runs and number >= opts.runs):
                break
            wait = max(0.0, every - (time.monotonic() - started)) + random.uniform(0, jitter)
            logger.info("Next run in %.0f s", wait)
            signals.wait(wait)
        if signals.stopping:
            code = exitcodes.INTERRUPTED
        logger.info(
            "Schedule %s after %d run(s); exit code %d: %s",
            "stopped by a signal" if signals.stopping else "ended",
            number,
            code,
            exitcodes.MEANINGS.get(code, "unknown"),
        )
        self.exitcode = code

    def _run_once(self, command: list[str], number: int, total: int, signals: Signals) -> int:
        label = f"Run {number}" + (f" of {total}" if total else "")
        logger.info("%s: %s", label, " ".join(command[2:]))
        started = time.monotonic()
        # Its own session: a Ctrl-C reaches only us, and we pass each on as a SIGTERM: on the
        # first Scrapy closes the spider cleanly, on the second it forces the stop.
        process = subprocess.Popen(command, start_new_session=True)
        passed_on = 0
        while process.poll() is None:
            if passed_on < min(signals.count, 2):
                passed_on += 1
                logger.info(
                    "%s: %s",
                    label,
                    "stopping the crawl, waiting for it to close its files (Ctrl-C again forces it)"
                    if passed_on == 1
                    else "forcing the crawl's stop (the next run repairs its WARC file)",
                )
                process.terminate()
                time.sleep(SIGNAL_GAP)
                continue
            signals.wait(0.5)
        elapsed = time.monotonic() - started
        code = process.returncode
        if code < 0:  # killed by a signal: -N
            code = exitcodes.INTERRUPTED
        outcome = {
            exitcodes.OK: "finished",
            exitcodes.PARTIAL: "finished, partial",
            exitcodes.BUSY: "skipped: another crawl holds DATA_DIR",
        }.get(code, exitcodes.MEANINGS.get(code, "failed"))
        level = logging.INFO if code in (exitcodes.OK, exitcodes.BUSY) else logging.WARNING
        if code in STOPPING_CODES or code == exitcodes.FAILED:
            level = logging.ERROR
        logger.log(level, "%s %s (exit code %d) in %.1f s", label, outcome, code, elapsed)
        return code
