"""The crawl's worker processes: forked by a fork server that loaded the libraries once."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar

from corpus.lifeline import bind_worker

T = TypeVar("T")

#: What the workers are called in ``ps`` and ``top`` (``/proc/PID/comm``), by what they do.
EXTRACTION = "news-extract"
WARC_PACKING = "news-warc-pack"


def worker_pool(processes: int, name: str = EXTRACTION) -> ProcessPoolExecutor:
    """A pool of ``processes`` workers called ``name``, as the crawl runs them."""
    # Workers come from a fork server that has loaded the extraction libraries and
    # the language model once: they share those pages instead of a copy each.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["corpus.preload"])
    return ProcessPoolExecutor(
        processes, mp_context=context, initializer=partial(bind_worker, name)
    )


def _spawn_workers(executor: ProcessPoolExecutor, processes: int) -> None:
    """Have ``executor`` start its workers: it starts one for each task no idle worker takes."""
    with contextlib.suppress(Exception):  # a pool that cannot start fails the first task alike
        for _ in range(processes):
            executor.submit(int)


def discard(broken: ProcessPoolExecutor) -> None:
    """Shut down a pool one of whose workers died, and kill the others."""
    # The broken pool's manager thread stops its workers with SIGTERM, which they ignore,
    # then joins them: one left waiting on a queue lock the dead worker held would hang
    # that join, and the crawl's exit with it. SIGKILL is what they cannot ignore.
    survivors = list((getattr(broken, "_processes", None) or {}).values())
    broken.shutdown(wait=False, cancel_futures=True)
    for process in survivors:
        process.kill()


class RenewingPool:
    """``processes`` workers called ``name``, started by :meth:`start` or else the first task.
    A worker that dies breaks the pool: it is discarded (``renewed`` is told), and the next
    task starts a new one."""

    def __init__(
        self, processes: int, name: str = EXTRACTION, renewed: Callable[[], None] = lambda: None
    ) -> None:
        self.processes = processes
        self.name = name
        self.renewed = renewed
        self.executor: ProcessPoolExecutor | None = None
        self.closed = False
        self._spawning: asyncio.Future[None] | None = None

    def start(self) -> None:
        """Start the workers now, from a thread, instead of with the first task.

        The fork server loads the extraction libraries (a second of CPU) while the crawl
        starts up and discovers; the first task's ``submit`` waited for that load, and the
        reactor with it. Outside a running event loop the first task starts them, as before.
        """
        if self.closed or self.executor is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self.executor = worker_pool(self.processes, self.name)
        self._spawning = loop.run_in_executor(None, _spawn_workers, self.executor, self.processes)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker; :class:`BrokenProcessPool` when a worker died under
        it or another (the broken pool discarded by then), ``RuntimeError`` once shut down."""
        if self.closed:
            raise RuntimeError(f"the {self.name} pool is shut down")
        if self._spawning is not None:
            await self._spawning
            self._spawning = None
        if self.executor is None:
            self.executor = worker_pool(self.processes, self.name)
        executor = self.executor
        try:
            return await asyncio.wrap_future(executor.submit(function, *args))
        except BrokenProcessPool:
            if self.executor is executor:  # not already discarded by another task
                discard(executor)
                self.executor = None
                self.renewed()
            raise

    def shutdown(self, cancel_futures: bool = False) -> None:
        """Stop taking tasks; wait for the workers to finish those they hold (or cancel the rest)."""
        self.closed = True
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=cancel_futures)
            self.executor = None
