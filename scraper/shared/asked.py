"""``max_articles`` across all workers of a shared crawl: new article URLs asked for per source
and run, counted in Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scraper.shared.outage import RedisUnreachable

if TYPE_CHECKING:
    from redis import Redis

# KEYS: the URLs asked for (a set of "SOURCE URL"), the count per source (a hash).
# ARGV: source, "SOURCE URL", the most (0: no limit). 1: asked now, 2: asked before, 0: over.
_ASK = """
if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 1 then return 2 end
local most = tonumber(ARGV[3])
if most > 0 and tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') >= most then return 0 end
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return 1
"""


class SharedAsked:
    """The new article URLs every worker asked for this run, per source."""

    def __init__(self, server: Redis, urls: str, counts: str) -> None:
        self.keys = [urls, counts]
        self._ask = server.register_script(_ASK)

    def ask(self, source: str, url: str, most: int) -> bool:
        """Count ``url`` as asked for ``source`` unless ``most`` others were (0: no limit);
        whether it may be asked. One another worker asked already may: it is not fetched twice."""
        try:
            return bool(self._ask(keys=self.keys, args=[source, f"{source} {url}", most]))
        except RedisUnreachable:  # the crawl is stopping; the request goes nowhere
            return True
