"""Let items into the corpus in the order the spider yielded them.

Extraction runs in a process pool and finishes in any order; corpus numbers,
near-duplicate choices and the manifest must not depend on it, so that a crawl
and its replay from the archive (which yields the same pages in archive order)
write the same corpus.
"""

from __future__ import annotations

import asyncio


class YieldOrder:
    """Turns by sequence number: item ``n`` waits until items ``0..n-1`` are finished."""

    def __init__(self) -> None:
        self.next = 0
        self._finished: set[int] = set()
        self._waiting: dict[int, asyncio.Future[None]] = {}

    async def wait_for_turn(self, sequence: int) -> None:
        if sequence > self.next:
            turn = self._waiting[sequence] = asyncio.get_running_loop().create_future()
            await turn

    def finish(self, sequence: int | None) -> None:
        """Item ``sequence`` left the pipelines (stored, dropped or failed)."""
        if sequence is None or sequence < self.next:
            return
        self._finished.add(sequence)
        while self.next in self._finished:
            self._finished.remove(self.next)
            self.next += 1
        turn = self._waiting.pop(self.next, None)
        if turn is not None and not turn.done():
            turn.set_result(None)

    @property
    def pending(self) -> int:
        """Items finished out of turn or waiting for theirs."""
        return len(self._finished) + len(self._waiting)
