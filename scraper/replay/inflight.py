"""How many of the replay's items the pipelines hold, so that reading the archive waits for them."""

from __future__ import annotations

import asyncio


class ItemsInFlight:
    """A count of items yielded and not yet finished (scraped, dropped or failed), at most ``limit``.

    Items yielded by ``start()`` have no backpressure in Scrapy: without a limit a replay
    would read the whole archive into pending items before the first was extracted.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._room = asyncio.Event()
        self._room.set()
        self._empty = asyncio.Event()
        self._empty.set()

    def taken(self) -> None:
        """One more item is on its way through the pipelines."""
        self.count += 1
        self._empty.clear()
        if self.count >= self.limit:
            self._room.clear()

    def finished(self) -> None:
        """An item is through the pipelines."""
        self.count -= 1
        if self.count < self.limit:
            self._room.set()
        if self.count == 0:
            self._empty.set()

    async def room(self) -> None:
        """Wait until fewer than ``limit`` items are on their way."""
        await self._room.wait()

    async def drained(self) -> None:
        """Wait until no item is on its way."""
        await self._empty.wait()
