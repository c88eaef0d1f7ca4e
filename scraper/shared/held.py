"""Requests a worker of a shared crawl took for a host that had no room, held until it has.

Scrapy's own crawl hands the downloader requests for the host with the fewest active ones
(``DownloaderAwarePriorityQueue``), so a host behind a long ``Crawl-delay`` never holds more
than its share of ``CONCURRENT_REQUESTS``. The shared queue in Redis is one priority queue for
every host: taken in its order, requests for a slow host fill the downloader's places (a
request waiting in a slot counts as active) and every other source waits at the slow host's
pace. A worker therefore keeps such a request aside, still recorded as taken by it, and hands
it to the downloader once its host's slot has room again.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Downloader

Taken = tuple["Request", bytes]  # a request and its queue encoding


class HeldRequests:
    """Taken requests per download slot, waiting for the slot to have room (at most ``limit``)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots: dict[str, deque[Taken]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def full(self) -> bool:
        return self._count >= self.limit

    @staticmethod
    def backed_up(downloader: Downloader, key: str) -> bool:
        """Whether the host of download slot ``key`` already has as many requests waiting as
        it may have in flight: one more would only wait too, holding a place of the downloader."""
        slot = downloader.slots.get(key)
        return slot is not None and len(slot.queue) >= max(1, slot.concurrency)

    def hold(self, key: str, taken: Taken) -> None:
        """Hold ``taken``, a request for download slot ``key``."""
        self._slots.setdefault(key, deque()).append(taken)
        self._count += 1

    def ready(self, downloader: Downloader) -> Taken | None:
        """The first held request whose host has room now, no longer held."""
        for key in self._slots:
            if not self.backed_up(downloader, key):
                return self._pop(key)
        return None

    def oldest(self) -> Taken:
        """The request held longest (of the host held longest), no longer held."""
        return self._pop(next(iter(self._slots)))

    def _pop(self, key: str) -> Taken:
        held = self._slots[key]
        taken = held.popleft()
        if not held:
            del self._slots[key]
        self._count -= 1
        return taken
