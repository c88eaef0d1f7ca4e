"""Offer a request to the shared queue: mark it seen and queue it in one step.

scrapy-redis adds the fingerprint to the seen-set, then the request to the queue: a
worker killed between the two leaves a URL every worker takes as done and none will
fetch (a listing page lost that way loses every article only it links to).

The offer also checks that Redis still holds the run the worker joined: a worker
must not queue links into a Redis that restarted without its data, where the next
start would take them for the rest of a run.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

# KEYS: seen-set, queue, run token. ARGV: fingerprint ('' to skip the seen-set), score, request,
# the token of the run joined.
_OFFER = """
if redis.call('GET', KEYS[3]) ~= ARGV[4] then return -1 end
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


class Offered(IntEnum):
    RUN_LOST = -1  # Redis no longer holds the run: nothing was written
    SEEN = 0
    QUEUED = 1


class QueueOffer:
    """Queue requests not seen before, atomically with marking them seen."""

    def __init__(self, server: Redis, seen: str, queue: str, run: str) -> None:
        self.keys = [seen, queue, run]
        self._offer = server.register_script(_OFFER)

    def __call__(self, fingerprint: str | None, score: int, encoded: bytes, run: str) -> Offered:
        """Queue ``encoded`` unless ``fingerprint`` was seen (None: queue it regardless), if
        ``run`` is still the run in Redis."""
        return Offered(
            self._offer(keys=self.keys, args=[fingerprint or "", str(score), encoded, run])
        )
