"""Corpus numbers from a Redis counter: unique across every worker of a shared crawl."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

# Raise the counter to at least the first number free in this corpus, then take one.
_NEXT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('INCR', KEYS[1]) - 1
"""


class SharedNumbers:
    """Callable for :class:`corpus.store.CorpusStore`: the next number nobody has taken."""

    def __init__(self, server: Redis, key: str) -> None:
        self.key = key
        self._next = server.register_script(_NEXT)

    def __call__(self, first_free_here: int) -> int:
        return int(self._next(keys=[self.key], args=[first_free_here]))
