"""YieldOrder, in-process: items leave the pipelines in the order the spider yielded them."""

from __future__ import annotations

import asyncio

from scraper.ordering import YieldOrder


async def _store_in_turn(order: YieldOrder, sequences: list[int], stored: list[int]) -> None:
    async def one(sequence: int) -> None:
        await order.wait_for_turn(sequence)
        stored.append(sequence)
        order.finish(sequence)

    await asyncio.wait_for(asyncio.gather(*(one(sequence) for sequence in sequences)), 5)


def test_items_arriving_out_of_order_are_stored_in_yield_order() -> None:
    order = YieldOrder()
    stored: list[int] = []
    asyncio.run(_store_in_turn(order, [3, 1, 4, 0, 2], stored))
    assert stored == [0, 1, 2, 3, 4]
    assert order.next == 5 and order.pending == 0


def test_a_waiting_item_goes_once_every_earlier_one_finished_whatever_their_order() -> None:
    async def run() -> list[str]:
        order = YieldOrder()
        events: list[str] = []

        async def third() -> None:
            await order.wait_for_turn(2)
            events.append("2 stored")

        waiting = asyncio.create_task(third())
        await asyncio.sleep(0)
        assert order.pending == 1  # item 2 waits
        order.finish(1)  # dropped out of turn: remembered, 2 still waits for 0
        await asyncio.sleep(0)
        events.append("1 finished")
        assert order.next == 0 and order.pending == 2
        order.finish(0)
        await asyncio.wait_for(waiting, 5)
        return events

    assert asyncio.run(run()) == ["1 finished", "2 stored"]


def test_unnumbered_and_already_passed_items_change_nothing() -> None:
    order = YieldOrder()
    order.finish(0)
    order.finish(None)  # an item that was never numbered
    order.finish(0)  # signalled twice (dropped, then an error)
    assert order.next == 1 and order.pending == 0
    asyncio.run(order.wait_for_turn(0))  # a turn already passed does not wait


def test_the_item_whose_turn_it_is_does_not_wait() -> None:
    async def run() -> None:
        order = YieldOrder()
        await asyncio.wait_for(order.wait_for_turn(0), timeout=5)
        order.finish(0)
        await asyncio.wait_for(order.wait_for_turn(1), timeout=5)

    asyncio.run(run())
