"""Exit codes of the commands, so that a scheduler or a script can tell what a run did.

``crawl`` ends with the code of the run's outcome (:func:`crawl_exit_code`), which the
per-source summary computes and prints; every other command uses the same codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OK = 0
PARTIAL = 1  # ended, but a source failed, something was refused or lost, or a limit cut it short
CONFIG = 2  # a bad sources file, setting or argument: nothing was fetched
FAILED = 3  # nothing worked: no source answered a single request with a page
UNAVAILABLE = 69  # EX_UNAVAILABLE: Redis stayed away past REDIS_OUTAGE_TIMEOUT, or lost the crawl
IO_ERROR = 74  # EX_IOERR: a write failed (a full disk); what was written ends whole
BUSY = 75  # EX_TEMPFAIL: another crawl holds DATA_DIR; try again later
INTERRUPTED = 130  # stopped by a signal before the end (128 + SIGINT)

MEANINGS = {
    OK: "ok",
    PARTIAL: "partial",
    CONFIG: "configuration error",
    FAILED: "nothing worked",
    UNAVAILABLE: "Redis unreachable or lost the crawl",
    IO_ERROR: "a write failed",
    BUSY: "DATA_DIR busy",
    INTERRUPTED: "interrupted",
}

# The reason a spider is closed with when a write failed and the crawl must stop.
WRITE_FAILED = "write-failed"
# The reason a shared crawl's spider is closed with when Redis stayed away too long.
REDIS_UNREACHABLE = "redis-unreachable"
# ... and when Redis no longer holds the run the worker joined (restarted without its data).
REDIS_LOST = "redis-lost"
# Scrapy closes the spider with this reason on SIGINT / SIGTERM.
SHUTDOWN = "shutdown"
# ... and with this one when reading the start requests raised: sources may not have started.
START_ERROR = "start_error"
# Scrapy's CloseSpider extension closes with this prefix and the limit's name (closespider_timeout).
LIMIT_REASON_PREFIX = "closespider_"
# Where the summary leaves the run's code for the command that started it.
STAT = "news/exit_code"


def summary_code(stats: Any) -> int:
    """The code the summary left in the crawler's ``stats``; ``INTERRUPTED`` when it never ran
    (a forced shutdown: a second Ctrl-C)."""
    return int(stats.get_value(STAT, INTERRUPTED))


def limit_reached(reason: str) -> str | None:
    """The ``CLOSESPIDER_*`` setting whose limit closed the run, if one did."""
    return reason.upper() if reason.startswith(LIMIT_REASON_PREFIX) else None


def source_failed(figures: Mapping[str, Any]) -> bool:
    """Whether a source had errors (unreachable, refused, lost) or not a single page answered."""
    return bool(figures.get("errors")) or not figures.get("answered")


def idle(figures: Mapping[str, Any]) -> bool:
    """Whether this process did nothing for a source: a shared crawl's other workers may have."""
    return not figures.get("fetched") and not figures.get("errors")


def crawl_exit_code(
    reason: str, figures: Mapping[str, Mapping[str, Any]], skip_idle: bool = False
) -> int:
    """The code of a run that closed with ``reason``, from the figures of each source.

    With ``skip_idle``, a source this process did nothing for is left out: in a shared crawl
    another worker may have done its requests, a replay --in-place may find nothing left to
    judge. Otherwise a source that fetched nothing (robots.txt aside) has failed. A run whose
    start requests could not all be read (``START_ERROR``), or that a ``CLOSESPIDER_*`` limit
    closed before the end, is partial at best.
    """
    if reason == WRITE_FAILED:
        return IO_ERROR
    if reason in (REDIS_UNREACHABLE, REDIS_LOST):
        return UNAVAILABLE
    if reason == SHUTDOWN:
        return INTERRUPTED
    if skip_idle:
        figures = {name: source for name, source in figures.items() if not idle(source)}
    if figures and not any(source.get("answered") for source in figures.values()):
        return FAILED
    if (
        reason == START_ERROR
        or limit_reached(reason)
        or any(source_failed(source) for source in figures.values())
    ):
        return PARTIAL
    return OK
