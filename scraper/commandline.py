"""What every command of the project shares: checked settings and spider arguments, one way
to fail (a line on stderr and an exit code), the sources file read and ``DATA_DIR`` locked."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from scraper import exitcodes
from scraper.lock import DataDirBusy, DataDirLock, last_shared_crawl
from scraper.paths import data_dir
from scraper.settingscheck import close_names, settings_error, unknown_argument
from scraper.sources import Source, SourcesError, load_sources, select_sources


class CommandFailed(Exception):
    """Stop the command: ``error: MESSAGE`` on stderr, exit with ``code``."""

    def __init__(self, message: str, code: int = exitcodes.CONFIG) -> None:
        super().__init__(message)
        self.code = code


Run = TypeVar("Run", bound=Callable[..., None])


def reports_failure(run: Run) -> Run:
    """Decorate a command's ``run``: a ``CommandFailed`` becomes its line and exit code."""

    @functools.wraps(run)
    def checked(command: Any, *args: Any, **kwargs: Any) -> None:
        try:
            run(command, *args, **kwargs)
        except CommandFailed as failure:
            print(f"error: {failure}", file=sys.stderr)
            command.exitcode = failure.code
        except BrokenPipeError:
            # Whoever read our output stopped (``| head``): stop too, without a traceback at the
            # interpreter's last flush of stdout.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    return checked  # type: ignore[return-value]


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

    def warn_if_state_is_in_redis(self) -> None:
        """Say so when ``DATA_DIR`` was last crawled by a shared crawl and ``REDIS_URL`` is unset:
        the runs of that crawl are in its Redis, not in the state file read instead."""
        crawl = (
            None if self.settings.get("REDIS_URL") else last_shared_crawl(data_dir(self.settings))
        )
        if crawl:
            print(
                f"warning: {data_dir(self.settings)} was last crawled by the shared crawl {crawl}, "
                "whose runs are in Redis: set REDIS_URL (and REDIS_KEY_PREFIX) to read them",
                file=sys.stderr,
            )

    def sources_file(self) -> list[Source]:
        """Every source of ``SOURCES_FILE``; ``CommandFailed`` (configuration error) when the
        file cannot be read or is not valid."""
        try:
            return load_sources(self.settings.get("SOURCES_FILE"))
        except SourcesError as error:
            raise CommandFailed(str(error)) from None

    def configured_sources(self, names: str | None = None) -> list[Source]:
        """The enabled sources of ``SOURCES_FILE``, or those ``names`` lists; ``CommandFailed``
        (configuration error) when the file cannot be read or a name is not in it."""
        sources = self.sources_file()
        try:
            return select_sources(sources, names)
        except SourcesError as error:
            raise CommandFailed(str(error)) from None

    @contextmanager
    def data_dir_locked(self, shared: str | None = None) -> Iterator[None]:
        """Hold ``DATA_DIR``'s lock (shared by the workers of the shared crawl ``shared``);
        ``CommandFailed`` when another run holds it (busy) or the folder cannot be written
        (I/O error)."""
        lock = DataDirLock(data_dir(self.settings), shared=shared)
        try:
            lock.acquire()
        except DataDirBusy as error:
            raise CommandFailed(str(error), exitcodes.BUSY) from None
        except OSError as error:
            raise CommandFailed(
                f"DATA_DIR: cannot write {error.filename}: {error.strerror}", exitcodes.IO_ERROR
            ) from None
        try:
            yield
        finally:
            lock.release()
