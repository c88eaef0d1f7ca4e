"""Offer a request to the shared queue: mark it seen and queue it in one step.

scrapy-redis adds the fingerprint to the seen-set, then the request to the queue: a
worker killed between the two leaves a URL every worker takes as done and none will
fetch (a listing page lost that way loses every article only it links to).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

# KEYS: seen-set, queue. ARGV: fingerprint ('' to skip the seen-set), score, request.
_OFFER = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


class QueueOffer:
    """Queue requests not seen before, atomically with marking them seen."""

    def __init__(self, server: Redis, seen: str, queue: str) -> None:
        self.seen = seen
        self.queue = queue
        self._offer = server.register_script(_OFFER)

    def __call__(self, fingerprint: str | None, score: int, encoded: bytes) -> bool:
        """Queue ``encoded`` unless ``fingerprint`` was seen (None: queue it regardless)."""
        return bool(
            self._offer(keys=[self.seen, self.queue], args=[fingerprint or "", str(score), encoded])
        )
