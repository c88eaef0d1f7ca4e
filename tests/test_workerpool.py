"""The extraction pool's workers start from the fork server's loaded, frozen libraries; calls made
while they are busy go to them in batches, each call answered (or failed) on its own."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pytest

from scraper.workerpool import RenewingPool, resident_anonymous, worker_pool


def test_workers_inherit_the_fork_servers_frozen_objects() -> None:
    pool = worker_pool(1)
    try:
        frozen = pool.submit(gc.get_freeze_count).result(timeout=120)
        collecting = pool.submit(gc.isenabled).result(timeout=120)
    finally:
        pool.shutdown()
    # the extraction libraries and the language model, frozen before the fork
    assert frozen > 10_000
    assert collecting  # frozen objects aside, a worker still collects its garbage


def slow_square(number: int) -> int:
    time.sleep(0.02)
    if number == 13:
        raise ValueError("thirteen")
    return number * number


def die(_: int) -> int:
    os._exit(1)


MIB = 1024 * 1024
_hoard: list[bytes] = []  # in a worker: what hoarding() keeps


def hoarding(_: int) -> int:
    """Keep 8 MiB more (written, so resident) for good; the worker's pid."""
    _hoard.append(b"x" * (8 * MIB))
    return os.getpid()


class Unpicklable(Exception):
    def __init__(self) -> None:
        super().__init__("cannot cross")
        self.lock = threading.Lock()


def raise_unpicklable(_: int) -> int:
    raise Unpicklable()


class CountedPool(RenewingPool):
    """A pool that records how many calls each task it sends holds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tasks: list[int] = []

    def _submit(self, calls: list[Any]) -> None:
        self.tasks.append(len(calls))
        super()._submit(calls)


async def answers(pool: RenewingPool, function: Callable[[int], int], numbers: range) -> list[Any]:
    return await asyncio.gather(
        *(pool.run(function, number) for number in numbers), return_exceptions=True
    )


def run_with(pool: RenewingPool, work: Callable[[], Any]) -> Any:
    async def main() -> Any:
        try:
            return await work()
        finally:
            pool.shutdown(cancel_futures=True)

    return asyncio.run(main())


def test_calls_made_while_the_worker_is_busy_go_in_batches_each_answered_as_its_own() -> None:
    pool = CountedPool(1, batch=4)
    got = run_with(pool, lambda: answers(pool, slow_square, range(21)))
    assert got[:13] == [number * number for number in range(13)]
    assert isinstance(got[13], ValueError) and str(got[13]) == "thirteen"
    assert got[14:] == [number * number for number in range(14, 21)]
    # two tasks at first (two a worker), then what waited, four a task
    assert pool.tasks[:2] == [1, 1]
    assert max(pool.tasks) == 4
    assert sum(pool.tasks) == 21
    assert len(pool.tasks) <= 2 + 5 + 1


def test_one_call_a_task_without_batching() -> None:
    pool = CountedPool(1)
    got = run_with(pool, lambda: answers(pool, slow_square, range(6)))
    assert got == [number * number for number in range(6)]
    assert pool.tasks == [1] * 6


def test_an_exception_that_cannot_cross_back_fails_only_its_own_call() -> None:
    pool = RenewingPool(1, batch=8)

    async def work() -> list[Any]:
        busy = [pool.run(slow_square, number) for number in range(3)]
        bad = pool.run(raise_unpicklable, 0)
        return await asyncio.gather(*busy, bad, pool.run(slow_square, 5), return_exceptions=True)

    got = run_with(pool, work)
    assert got[:3] == [0, 1, 4]
    assert isinstance(got[3], RuntimeError) and "Unpicklable: cannot cross" in str(got[3])
    assert got[4] == 25


def test_a_worker_that_dies_fails_its_batch_once_then_the_pool_sends_one_call_a_task() -> None:
    renewals: list[bool] = []
    pool = CountedPool(1, batch=4, renewed=lambda: renewals.append(True))

    async def work() -> tuple[list[Any], list[Any]]:
        busy = [pool.run(slow_square, number) for number in range(2)]
        batch = [pool.run(die if number == 3 else slow_square, number) for number in range(2, 6)]
        first = await asyncio.gather(*busy, *batch, return_exceptions=True)
        return first, await answers(pool, slow_square, range(3))

    first, after = run_with(pool, work)
    assert renewals == [True]
    assert any(isinstance(answer, BrokenProcessPool) for answer in first)
    assert after == [0, 1, 4]  # a new pool answers
    assert pool.batch == 1
    assert pool.tasks[-3:] == [1, 1, 1]


def test_a_cancelled_call_is_not_sent_and_the_others_are_answered() -> None:
    pool = CountedPool(1, batch=8)

    async def work() -> list[Any]:
        calls = [asyncio.ensure_future(pool.run(slow_square, number)) for number in range(6)]
        await asyncio.sleep(0)  # each call waits in the pool
        calls[4].cancel()
        return await asyncio.gather(*calls, return_exceptions=True)

    got = run_with(pool, work)
    assert isinstance(got[4], asyncio.CancelledError)
    assert [got[i] for i in (0, 1, 2, 3, 5)] == [0, 1, 4, 9, 25]
    assert sum(pool.tasks) == 5


def test_a_shutdown_that_waits_sends_the_waiting_calls_first() -> None:
    pool = RenewingPool(1, batch=2)

    async def work() -> list[Any]:
        calls = [asyncio.ensure_future(pool.run(slow_square, number)) for number in range(7)]
        await asyncio.sleep(0)
        pool.shutdown()
        return await asyncio.gather(*calls)

    assert run_with(pool, work) == [number * number for number in range(7)]


def test_room_waits_until_fewer_calls_than_asked_are_unanswered() -> None:
    pool = RenewingPool(1)

    async def work() -> tuple[bool, int, bool, list[int]]:
        calls = [asyncio.ensure_future(pool.run(slow_square, number)) for number in range(4)]
        await asyncio.sleep(0)
        held = await pool.room(2)
        unanswered_then = pool.unanswered
        unheld = await pool.room(2)
        return held, unanswered_then, unheld, await asyncio.gather(*calls)

    held, unanswered_then, unheld, answers = run_with(pool, work)
    assert held and unanswered_then == 1 and not unheld
    assert answers == [0, 1, 4, 9]


def test_room_lets_every_waiter_in_once_the_pool_shuts_down() -> None:
    pool = RenewingPool(1)

    async def work() -> list[bool]:
        calls = [asyncio.ensure_future(pool.run(slow_square, number)) for number in range(3)]
        await asyncio.sleep(0)
        waiters = [asyncio.ensure_future(pool.room(1)) for _ in range(3)]
        await asyncio.sleep(0)
        assert not any(waiter.done() for waiter in waiters)
        pool.shutdown(cancel_futures=True)
        held = await asyncio.wait_for(asyncio.gather(*waiters), 5)
        await asyncio.gather(*calls, return_exceptions=True)
        return held

    assert run_with(pool, work) == [True, True, True]


@pytest.mark.parametrize("batch", [0, -3])
def test_a_batch_below_one_is_one(batch: int) -> None:
    assert RenewingPool(1, batch=batch).batch == 1


def test_resident_anonymous_memory_counts_what_the_process_writes() -> None:
    before = resident_anonymous()
    kept = b"x" * (16 * MIB)
    assert resident_anonymous() - before >= 15 * MIB
    del kept


def gone(pid: int, seconds: float = 30) -> bool:
    """Whether process ``pid`` exits within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("max_growth", [24 * MIB, 0], ids=["limit", "none"])
def test_a_worker_that_grew_is_replaced_and_every_call_is_answered(max_growth: int) -> None:
    replaced: list[int] = []
    renewed: list[bool] = []
    pool = RenewingPool(
        1,
        batch=2,
        max_growth=max_growth,
        replaced=replaced.append,
        renewed=lambda: renewed.append(True),
    )
    pids = run_with(pool, lambda: answers(pool, hoarding, range(16)))

    assert all(isinstance(pid, int) for pid in pids), pids  # no call failed
    assert not renewed
    if max_growth:
        assert replaced and min(replaced) > max_growth
        first = pids[0]
        assert 2 <= len(set(pids)) <= len(replaced) + 1  # new workers after a replacement
        assert pids[-1] != first
        assert gone(first)  # the grown worker finished its calls, then exited
    else:
        assert not replaced and len(set(pids)) == 1


def test_a_waiter_is_let_in_though_the_one_woken_before_it_made_no_call() -> None:
    pool = RenewingPool(1)

    async def work() -> list[bool]:
        call = asyncio.ensure_future(pool.run(slow_square, 2))
        await asyncio.sleep(0)
        waiters = [asyncio.ensure_future(pool.room(1)) for _ in range(2)]
        await call  # wakes the first waiter, which, like a request that answered 404, calls nothing
        return await asyncio.wait_for(asyncio.gather(*waiters), 5)

    assert run_with(pool, work) == [True, True]


def test_a_call_counts_as_unanswered_while_the_workers_start() -> None:
    pool = RenewingPool(1)

    async def work() -> tuple[int, int]:
        pool.start()
        call = asyncio.ensure_future(pool.run(slow_square, 3))
        await asyncio.sleep(0)
        starting = pool.unanswered
        return starting, await call

    assert run_with(pool, work) == (1, 9)
