"""robots.txt fetched once per host per run, whatever the number of workers of a shared crawl.

The first worker to need a host's robots.txt claims it (``PREFIX:robots:claim:HOST``, which
ends on its own if that worker dies) and fetches it; what it made of it goes into the hash
``PREFIX:robots``: the rules it parsed, or why the host is disallowed for the run. The other
workers wait for that and use it. The hash is emptied when a new run starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from scraper.shared.connection import glob_escaped

if TYPE_CHECKING:
    from redis import Redis

RULES = "rules"  # the body to parse (empty: everything allowed)
UNREACHABLE = "unreachable"  # the host is disallowed for this run; the detail says why
REFUSED = "refused"  # our own guards refused robots.txt: no rules, each request meets them too

#: How long a day is: a robots.txt shared longer than this is fetched again (RFC 9309 2.4).
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RobotsOutcome:
    """What the worker that fetched a host's robots.txt made of it."""

    kind: str
    detail: bytes = b""

    def encode(self) -> bytes:
        return self.kind.encode() + b"\n" + self.detail

    @classmethod
    def decode(cls, stored: bytes) -> RobotsOutcome:
        kind, _, detail = stored.partition(b"\n")
        return cls(kind.decode(), detail)


# Delete a claim if the given worker holds it (KEYS: the claim; ARGV: the worker).
_END_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def end_claims(server: Redis, key: str, worker: str) -> int:
    """End the robots.txt claims ``worker`` (gone) holds; return how many there were.

    A claim would end on its own once the fetch could have taken its longest; a worker
    that reaps a dead one ends them at once, so another worker fetches that robots.txt.
    """
    end = server.register_script(_END_CLAIM)
    claims = server.scan_iter(match=f"{glob_escaped(key)}:claim:*")
    return sum(int(end(keys=[claim], args=[worker])) for claim in claims)


class SharedRobots:
    """The robots.txt outcomes of one shared crawl, by host (``netloc``)."""

    def __init__(self, server: Redis, key: str, worker: str) -> None:
        self.server = server
        self.key = key
        self.worker = worker

    def get(self, netloc: str) -> RobotsOutcome | None:
        stored = cast("bytes | None", self.server.hget(self.key, netloc))
        return None if stored is None else RobotsOutcome.decode(stored)

    def claim(self, netloc: str, seconds: float) -> bool:
        """Whether this worker is now the one to fetch ``netloc``'s robots.txt (for ``seconds``)."""
        claimed = self.server.set(
            f"{self.key}:claim:{netloc}", self.worker, nx=True, ex=max(1, int(seconds))
        )
        return bool(claimed)

    def publish(self, netloc: str, outcome: RobotsOutcome) -> None:
        with self.server.pipeline() as batch:
            batch.hset(self.key, netloc, outcome.encode())
            batch.expire(self.key, KEEP_SECONDS)
            batch.delete(f"{self.key}:claim:{netloc}")
            batch.execute()
