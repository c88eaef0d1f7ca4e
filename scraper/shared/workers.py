"""The workers of a shared crawl: who is alive, what each has taken, who starts a new run."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from scraper.shared.connection import Keys
from scraper.shared.politeness import end_leases
from scraper.shared.robots import end_claims

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

# Move the highest-priority request to the worker's taken set, in one step.
_TAKE = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('HSET', KEYS[2], r[1], r[2])
return r[1]
"""
# Put the given requests a dead worker had taken back in the queue (the first ARGV[1] of them)
# or forget them (the others), in one step; a request another worker put back meanwhile is
# left alone.
_REQUEUE_SOME = """
local requeued = 0
for i = 2, #ARGV do
  local score = redis.call('HGET', KEYS[1], ARGV[i])
  if score then
    if i <= tonumber(ARGV[1]) + 1 then
      redis.call('ZADD', KEYS[2], score, ARGV[i])
      requeued = requeued + 1
    end
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return requeued
"""
# Beat, if the run this worker joined is still the one in Redis (KEYS: workers, run token).
_BEAT = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[2])
return 1
"""
# Put every request a worker had taken back in the queue, in one step.
_REQUEUE = """
local taken = redis.call('HGETALL', KEYS[1])
for i = 1, #taken, 2 do redis.call('ZADD', KEYS[2], taken[i + 1], taken[i]) end
redis.call('DEL', KEYS[1])
return #taken / 2
"""


def this_worker() -> str:
    """``HOST-PID``: unique among live processes, and tells a dead local process apart."""
    host = "".join(c if c.isalnum() or c in ".-" else "-" for c in socket.gethostname())
    return f"{host}-{os.getpid()}"


def _process_is_gone(worker: str) -> bool:
    """Whether ``worker`` ran on this host under a PID that no longer exists."""
    host, _, pid = worker.rpartition("-")
    if host != this_worker().rpartition("-")[0] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Joined:
    """What a worker found when it joined: a new run or one in progress, and what it put back."""

    new_run: bool
    queued: int
    requeued: int


class Workers:
    """One worker's view of the shared crawl.

    Each worker beats every few seconds (a score in ``workers``). One that has not
    beaten for ``timeout`` seconds, or ran on this host under a PID that is gone,
    is dead: :meth:`reap` puts the requests it had taken back in the queue.
    """

    def __init__(
        self, server: Redis, keys: Keys, timeout: float, worker: str | None = None
    ) -> None:
        self.server = server
        self.keys = keys
        self.timeout = timeout
        self.id = worker or this_worker()
        self.run: str | None = None  # the token of the run joined
        self._beat = server.register_script(_BEAT)
        self._take = server.register_script(_TAKE)
        self._requeue = server.register_script(_REQUEUE)
        self._requeue_some = server.register_script(_REQUEUE_SOME)

    def _now(self) -> float:
        seconds, micros = self.server.time()
        return seconds + micros / 1e6

    def beat(self) -> bool:
        """Tell the others this worker is alive; False when the run it joined is gone from
        Redis (a server restarted without its data, or a new run began without this worker)."""
        return bool(
            self._beat(keys=[self.keys.workers, self.keys.run], args=[self.run or "", self.id])
        )

    def others(self) -> dict[str, float]:
        """Every other worker that joined and has not left, with its last beat."""
        beats = cast(
            "list[tuple[bytes, float]]",
            self.server.zrange(self.keys.workers, 0, -1, withscores=True),
        )
        return {
            worker: beat
            for worker, beat in ((member.decode(), score) for member, score in beats)
            if worker != self.id
        }

    def dead(self) -> list[str]:
        """The other workers that are gone. Right after an outage (every worker waited for
        Redis, none could beat) an old heartbeat is no sign of death, for ``timeout``."""
        now = self._now()
        outage = getattr(self.server, "outage", None)  # a PatientRedis (scraper.shared.outage)
        waited = outage is not None and outage.back_within(self.timeout)
        return [
            w
            for w, beat in self.others().items()
            if (now - beat > self.timeout and not waited) or _process_is_gone(w)
        ]

    def reap(self, has_outcome: Callable[[bytes], bool] | None = None) -> int:
        """Put back what dead workers had taken, end their politeness leases and robots.txt
        claims and forget them;
        return how many requests were put back.

        A request ``has_outcome`` says is done (the worker died after recording what became
        of it) is forgotten instead.
        """
        requeued = 0
        for worker in self.dead():
            taken = self.keys.taken(worker)
            if has_outcome is None:
                count = int(self._requeue(keys=[taken, self.keys.requests]))
                done: list[bytes] = []
            else:
                entries = cast("list[bytes]", self.server.hkeys(taken))
                settled = {entry: has_outcome(entry) for entry in entries}
                done = [entry for entry, outcome in settled.items() if outcome]
                again = [entry for entry, outcome in settled.items() if not outcome]
                count = int(
                    self._requeue_some(
                        keys=[taken, self.keys.requests], args=[len(again), *again, *done]
                    )
                )
            self.server.zrem(self.keys.workers, worker)
            end_leases(self.server, self.keys.prefix, worker)
            end_claims(self.server, self.keys.robots, worker)
            if count or done:
                logger.warning(
                    "Worker %s is gone: put its %d unfinished requests back in the queue "
                    "(%d more had their outcome recorded)",
                    worker,
                    count,
                    len(done),
                )
            requeued += count
        return requeued

    def join(self, has_outcome: Callable[[bytes], bool] | None = None) -> Joined:
        """Enter the crawl. The first worker of a run whose queue was drained starts a new run
        (an empty seen-set); otherwise it resumes what is queued (see :meth:`reap`)."""
        with self.server.lock(self.keys.join_lock, timeout=60, blocking_timeout=60):
            requeued = self.reap(has_outcome)
            queued = int(self.server.zcard(self.keys.requests))
            new_run = not self.others() and queued == 0
            if new_run:
                self.server.delete(*self.keys.per_run)
            started = datetime.now(UTC).isoformat()
            self.server.set(self.keys.run, f"{started} {uuid.uuid4().hex}", nx=True)
            self.run = cast("bytes", self.server.get(self.keys.run)).decode()
            self.beat()
        return Joined(new_run, queued, requeued)

    def leave(self, finished: bool) -> int:
        """Leave the crawl: what is still taken goes back unless the spider finished its work.

        Return how many requests were still taken (after a finished crawl, none should be).
        """
        with self.server.lock(self.keys.join_lock, timeout=60, blocking_timeout=60):
            if finished:
                unsettled = int(self.server.hlen(self.keys.taken(self.id)))
                self.server.delete(self.keys.taken(self.id))
            else:
                unsettled = int(self._requeue(keys=[self.keys.taken(self.id), self.keys.requests]))
            self.server.zrem(self.keys.workers, self.id)
            if not self.others() and not self.server.zcard(self.keys.requests):
                # The token stays, naming the run its workers' figures are added to, until
                # the next run replaces it.
                self.server.delete(*self.keys.run_contents)
        return unsettled

    def take(self) -> bytes | None:
        """The next queued request (encoded), now recorded as taken by this worker."""
        return self._take(keys=[self.keys.requests, self.keys.taken(self.id)])

    def done(self, *encoded: bytes) -> None:
        """This worker is done with these requests: they are no longer taken."""
        self.server.hdel(self.keys.taken(self.id), *encoded)

    def busy_elsewhere(self) -> bool:
        """Whether another worker, alive or not yet reaped, holds taken requests."""
        return any(self.server.exists(self.keys.taken(worker)) for worker in self.others())
