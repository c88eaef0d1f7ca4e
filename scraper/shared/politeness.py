"""Per-host politeness shared by every worker: when a request may start, how many are in flight.

For each downloader slot (a host) Redis keeps a hash ``PREFIX:slot:HOST`` with ``last`` (when the
last request started, by Redis's clock), ``until`` (a Retry-After pause) and ``delay`` (the delay
the workers agree on: DOWNLOAD_DELAY, or AutoThrottle's latest measure), and a sorted set
``PREFIX:slot:HOST:flight`` of the requests in flight, each scored with the time its lease ends.
A worker that dies leaves leases that end on their own, so its in-flight count does not leak.
Every decision is one Lua script, so two workers never take the same start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from scraper.shared.connection import glob_escaped

if TYPE_CHECKING:
    from redis import Redis

# KEYS: slot hash, in-flight set. ARGV: 1 this worker's delay, 2 'set' (publish it) or 'seed'
# (only if none is known), 3 jitter factor, 4 concurrency, 5 lease seconds, 6 token, 7 keep seconds.
# Returns {'go'|'wait'|'full', seconds to wait, the delay agreed on}.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if ARGV[2] == 'set' then
  redis.call('HSET', KEYS[1], 'delay', ARGV[1])
else
  redis.call('HSETNX', KEYS[1], 'delay', ARGV[1])
end
local delay = redis.call('HGET', KEYS[1], 'delay')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local paused = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local wait = math.max(last + tonumber(delay) * tonumber(ARGV[3]) - now, paused - now)
if wait > 0 then return {'wait', string.format('%.6f', wait), delay} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return {'full', '0', delay} end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[6])
redis.call('HSET', KEYS[1], 'last', string.format('%.6f', now))
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return {'go', '0', delay}
"""
# KEYS: slot hash. ARGV: 1 seconds of the pause, 2 keep seconds. No start before now + ARGV[1].
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local untl = now + tonumber(ARGV[1])
if untl > tonumber(redis.call('HGET', KEYS[1], 'until') or '0') then
  redis.call('HSET', KEYS[1], 'until', string.format('%.6f', untl))
end
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[1] + ARGV[2]))
return 1
"""

#: How long the slot's record outlives its last start: past it, nobody waits on it any more.
KEEP_SECONDS = 3600


def end_leases(server: Redis, prefix: str, worker: str) -> int:
    """End the leases ``worker`` (gone) holds on every host; return how many there were.

    A lease would end on its own after the download timeout and a margin; a worker that
    reaps a dead one ends them at once, so its hosts are not held for that long.
    """
    ended = 0
    tokens = f"{glob_escaped(worker)}:*"
    for flight in server.scan_iter(match=f"{glob_escaped(prefix)}:slot:*:flight"):
        held = [token for token, _ in server.zscan_iter(flight, match=tokens)]
        if held:
            ended += int(server.zrem(flight, *held))
    return ended


@dataclass(frozen=True)
class Turn:
    """The answer to "may a request to this host start now?"."""

    granted: bool
    wait: float  # seconds until the delay or pause is over; 0 with granted, or when full
    delay: float  # the delay the workers agree on for the host


class SharedSlots:
    """The politeness state of every host of one shared crawl, in Redis."""

    def __init__(self, server: Redis, prefix: str, worker: str) -> None:
        self.server = server
        self.prefix = prefix
        self.worker = worker
        self._take = server.register_script(_TAKE)
        self._pause = server.register_script(_PAUSE)
        self._tokens = 0

    def _keys(self, slot: str) -> tuple[str, str]:
        hashed = f"{self.prefix}:slot:{slot}"
        return hashed, f"{hashed}:flight"

    def take(
        self,
        slot: str,
        delay: float,
        *,
        publish: bool,
        jitter_factor: float,
        concurrency: int,
        lease: float,
    ) -> tuple[Turn, str]:
        """Ask for a start on ``slot``; with ``publish``, ``delay`` becomes the agreed delay.

        Return the answer and the token of the lease (only held when granted)."""
        self._tokens += 1
        token = f"{self.worker}:{self._tokens}"
        answer = cast(
            "list[bytes]",
            self._take(
                keys=self._keys(slot),
                args=[
                    repr(delay),
                    "set" if publish else "seed",
                    repr(jitter_factor),
                    concurrency,
                    repr(lease),
                    token,
                    KEEP_SECONDS,
                ],
            ),
        )
        verdict, wait, agreed = (part.decode() for part in answer)
        return Turn(verdict == "go", float(wait), float(agreed)), token

    def release(self, slot: str, *tokens: str) -> None:
        """The requests of ``tokens`` are no longer in flight."""
        self.server.zrem(self._keys(slot)[1], *tokens)

    def pause(self, slot: str, seconds: float) -> None:
        """No request to ``slot`` starts, from any worker, for ``seconds``."""
        self._pause(keys=self._keys(slot)[:1], args=[repr(seconds), KEEP_SECONDS])

    def in_flight(self, slot: str) -> int:
        """Requests in flight to ``slot`` whose lease has not ended (for tests and benchmarks)."""
        seconds, micros = self.server.time()
        return int(self.server.zcount(self._keys(slot)[1], seconds + micros / 1e6, "+inf"))
