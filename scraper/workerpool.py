"""The crawl's worker processes: forked by a fork server that loaded the libraries once."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, NamedTuple, TypeVar

from corpus.lifeline import bind_worker

T = TypeVar("T")

#: How often a caller of :meth:`RenewingPool.room` looks again without being woken.
ROOM_RECHECK_SECONDS = 0.1

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


class _Call(NamedTuple):
    function: Callable[..., Any]
    args: tuple[Any, ...]
    answer: asyncio.Future[Any]


class Answer(NamedTuple):
    """A worker's answer to a batch."""

    outcomes: list[tuple[bool, Any]]  # each call's (True, result), or (False, exception)
    grown: int  # bytes of resident anonymous memory the worker gained since its first batch


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_after_first_batch: int | None = None  # in a worker: its resident anonymous memory then


def resident_anonymous() -> int:
    """This process's resident memory less its file-backed pages, in bytes (0 without ``/proc``)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            fields = statm.read().split()
        return (int(fields[1]) - int(fields[2])) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def run_batch(calls: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> Answer:
    """In a worker: each call's outcome, and how much the worker grew since its first batch
    (its first pages load what later pages reuse: the language model's tables, stoplists)."""
    global _after_first_batch  # one worker process, one figure
    outcomes: list[tuple[bool, Any]] = []
    for function, args in calls:
        try:
            outcomes.append((True, function(*args)))
        except Exception as error:  # noqa: BLE001 - its own caller's, not its batch's
            outcomes.append((False, _picklable(error)))
    held = resident_anonymous()
    if _after_first_batch is None:
        _after_first_batch = held
    return Answer(outcomes, held - _after_first_batch)


def _picklable(error: Exception) -> Exception:
    """``error``, or a ``RuntimeError`` naming it where it cannot cross back to the crawl (it
    would fail the whole batch)."""
    try:
        pickle.dumps(error)
    except Exception:  # noqa: BLE001 - whatever pickling raises
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


class RenewingPool:
    """``processes`` workers called ``name``, started by :meth:`start` or else the first task.
    A worker that dies breaks the pool: it is discarded (``renewed`` is told), and the next
    task starts a new one.

    At most two tasks per worker are with the pool at a time; calls made while it holds
    them wait here, and go up to ``batch`` to a task: when every worker is busy, a page
    crosses to a worker and back in a batch's task instead of one of its own, which costs
    the calling process a fifth of a millisecond per task. A pool that breaks fails every task
    it holds, batches and all; the renewed pool sends one call per task, so a call that kills
    its worker again takes no batch with it. :meth:`room` lets a caller wait until fewer
    calls than it names are unanswered.

    A worker that grew by more than ``max_growth`` bytes since its first batch (0: no
    limit) has its pool replaced (``replaced`` is told by how much): new workers take the
    next tasks while the old ones finish those they hold, then exit.
    """

    def __init__(
        self,
        processes: int,
        name: str = EXTRACTION,
        renewed: Callable[[], None] = lambda: None,
        batch: int = 1,
        max_growth: int = 0,
        replaced: Callable[[int], None] = lambda grown: None,
    ) -> None:
        self.processes = processes
        self.name = name
        self.renewed = renewed
        self.batch = max(1, batch)
        self.max_growth = max_growth
        self.replaced = replaced
        self.executor: ProcessPoolExecutor | None = None
        self.closed = False
        self._spawning: asyncio.Future[None] | None = None
        self._waiting: deque[_Call] = deque()
        self._tasks = 0  # with the executor, not yet answered
        self.unanswered = 0  # calls waiting here or with a worker
        self._room: deque[asyncio.Future[None]] = deque()  # callers of room(), first come first

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
        self.unanswered += 1  # while the workers start too: room() counts it from now
        try:
            if self._spawning is not None:
                await self._spawning
                self._spawning = None
            answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            self._waiting.append(_Call(function, args, answer))
            self._send(2 * self.processes)
            return await answer
        finally:
            self.unanswered -= 1
            self._let_in(1)

    async def room(self, most: int) -> bool:
        """Wait until fewer than ``most`` calls are unanswered (not once shut down); whether
        it waited.

        Each answered call wakes one waiter; a waiter also looks again every
        ``ROOM_RECHECK_SECONDS``, since what a woken caller went on to do may never become a
        call (an article that answered 404) and so never wake the next one.
        """
        waited = False
        while not self.closed and self.unanswered >= most:
            waited = True
            turn = asyncio.get_running_loop().create_future()
            self._room.append(turn)
            try:
                await asyncio.wait({turn}, timeout=ROOM_RECHECK_SECONDS)
            finally:  # looking again, or cancelled itself
                if not turn.done():
                    turn.cancel()  # _let_in passes it by
        return waited

    def _let_in(self, count: int) -> None:
        """Wake ``count`` callers of :meth:`room` (each looks again)."""
        while count and self._room:
            turn = self._room.popleft()
            if not turn.done():  # not cancelled meanwhile
                turn.set_result(None)
                count -= 1

    def _send(self, most_tasks: int) -> None:
        """Send the waiting calls, up to ``batch`` a task, while the pool holds fewer than
        ``most_tasks``."""
        while self._waiting and self._tasks < most_tasks:
            calls: list[_Call] = []
            while self._waiting and len(calls) < self.batch:
                call = self._waiting.popleft()
                if not call.answer.done():  # not cancelled by its caller meanwhile
                    calls.append(call)
            if calls:
                self._submit(calls)

    def _submit(self, calls: list[_Call]) -> None:
        if self.executor is None:
            self.executor = worker_pool(self.processes, self.name)
        executor = self.executor
        try:
            task = executor.submit(run_batch, [(call.function, call.args) for call in calls])
        except Exception as error:  # noqa: BLE001 - broken, or shut down, before it took the task
            if isinstance(error, BrokenProcessPool):
                self._discard(executor)
            _fail(calls, error)
            return
        self._tasks += 1
        asyncio.wrap_future(task).add_done_callback(partial(self._answered, executor, calls))

    def _answered(
        self, executor: ProcessPoolExecutor, calls: list[_Call], task: asyncio.Future[Any]
    ) -> None:
        self._tasks -= 1
        if task.cancelled():
            for call in calls:
                call.answer.cancel()
        elif (error := task.exception()) is not None:
            if isinstance(error, BrokenProcessPool):
                self._discard(executor)
            _fail(calls, error)
        else:
            answer: Answer = task.result()
            for call, (answered, value) in zip(calls, answer.outcomes, strict=True):
                if call.answer.done():
                    continue
                if answered:
                    call.answer.set_result(value)
                else:
                    call.answer.set_exception(value)
            if self.max_growth and answer.grown > self.max_growth:
                self._replace(executor, answer.grown)
        if not self.closed:
            self._send(2 * self.processes)

    def _replace(self, executor: ProcessPoolExecutor, grown: int) -> None:
        """Start new workers for the next tasks; ``executor``'s finish what they hold and exit."""
        if self.executor is not executor or self.closed:  # replaced or discarded already
            return
        self.executor = None
        executor.shutdown(wait=False)
        self.start()
        self.replaced(grown)

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        if self.executor is executor:  # not already discarded for another task
            discard(executor)
            self.executor = None
            self.batch = 1
            self.renewed()

    def shutdown(self, cancel_futures: bool = False) -> None:
        """Stop taking tasks; wait for the workers to finish those they hold (or cancel the rest)."""
        self.closed = True
        self._let_in(len(self._room))
        if cancel_futures:
            for call in self._waiting:
                call.answer.cancel()
            self._waiting.clear()
        else:
            self._send(most_tasks=sys.maxsize)
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=cancel_futures)
            self.executor = None


def _fail(calls: list[_Call], error: BaseException) -> None:
    for call in calls:
        if not call.answer.done():
            call.answer.set_exception(error)
