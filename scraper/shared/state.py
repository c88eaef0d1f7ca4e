"""The crawl state in Redis, for workers on several machines: the API of :class:`scraper.state.CrawlState`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self, cast

from scraper.shared.connection import Keys, connect, keys
from scraper.shared.outage import RedisUnreachable
from scraper.state import FetchRecorder, StateWriteFailed, UrlState

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

_INTEGERS = {f.name for f in fields(UrlState) if "int" in str(f.type)}

# Like SQL's UPDATE ... WHERE url = ?: an outcome only for a URL that was fetched.
_OUTCOME = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'outcome', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'corpus_id', ARGV[2]) end
return 1
"""

# Add one worker's figures of a source to those of the shared run (KEYS: runs of the source,
# run token; ARGV: the worker's own run, figures as JSON). The run is the token's start time,
# or the worker's own when no run token is there. Numbers add up, objects merge, and of two
# lists (examples) the first recorded is kept, lengthened by the other's.
_ADD_RUN = """
local token = redis.call('GET', KEYS[2])
local run = ARGV[1]
if token then run = string.match(token, '^(%S+) ') or run end
local function add(into, more)
  for name, value in pairs(more) do
    local old = into[name]
    if type(old) == 'number' and type(value) == 'number' then
      into[name] = old + value
    elseif type(old) == 'table' and type(value) == 'table' then
      add(old, value)
    elseif old == nil then
      into[name] = value
    end
  end
end
local figures = cjson.decode(ARGV[2])
local stored = redis.call('HGET', KEYS[1], run)
if stored then
  local merged = cjson.decode(stored)
  add(merged, figures)
  figures = merged
end
redis.call('HSET', KEYS[1], run, cjson.encode(figures))
return run
"""


def _seconds(date: str) -> float:
    """A WARC-Date (or the same without ``Z``) as seconds since the epoch, UTC."""
    parsed = datetime.fromisoformat(date.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


class RedisCrawlState(FetchRecorder):
    """One hash per canonical URL; a sorted set of article URLs per source, by fetch time;
    one hash of run figures per source.

    Once Redis has stayed away past ``REDIS_OUTAGE_TIMEOUT`` (the crawl is stopping), a
    read finds nothing and a write raises :class:`StateWriteFailed` naming the server.
    """

    required_settings = ("REDIS_URL",)  # checked before a command runs (scraper.settingscheck)

    def __init__(self, server: Redis, keys: Keys) -> None:
        self.server = server
        self.keys = keys
        self._outcome = server.register_script(_OUTCOME)
        self._add_run = server.register_script(_ADD_RUN)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The state of the shared crawl of ``REDIS_URL``; SharedCrawlError if Redis is not there."""
        return cls.open_to_read(crawler.settings)

    @classmethod
    def open_to_read(cls, settings: BaseSettings) -> Self:
        """The state of the shared crawl of ``REDIS_URL``; SharedCrawlError if Redis is not there."""
        return cls(connect(settings), keys(settings))

    @classmethod
    def check_state(cls, settings: BaseSettings) -> None:
        """Nothing to check: no file to be damaged; ``scrapy crawl`` reaches ``REDIS_URL``
        before anything else, for the scheduler and this state alike."""

    @classmethod
    def forget_corpus_ids_above(cls, settings: BaseSettings, last_id: int | None) -> int:
        """Forget nothing (0): corpus ids come from one counter shared by every machine of the
        crawl, so ids past this corpus's last are other machines' articles, not torn lines."""
        return 0

    def _url(self, url: str) -> str:
        return self.keys.state("url", url)

    def close(self) -> None:
        self.server.close()

    def get(self, url: str) -> UrlState | None:
        try:
            stored = cast("dict[bytes, bytes]", self.server.hgetall(self._url(url)))
        except RedisUnreachable:
            return None
        if not stored:
            return None
        values: dict[str, Any] = {name.decode(): value.decode() for name, value in stored.items()}
        for name in _INTEGERS & values.keys():
            values[name] = int(values[name])
        return UrlState(url=url, **{k: v for k, v in values.items() if k != "url"})

    def _write_fetch(self, url: str, values: dict[str, Any], keep: set[str]) -> None:
        gone = [name for name, value in values.items() if value is None and name not in keep]
        key = self._url(url)
        with self.server.pipeline() as batch:
            batch.hset(
                key, mapping={name: value for name, value in values.items() if value is not None}
            )
            if gone:
                batch.hdel(key, *gone)
            if values["kind"] == "article":
                batch.zadd(
                    self.keys.state("articles", values["source"]),
                    {url: _seconds(values["fetched_at"])},
                )
            try:
                batch.execute()
            except RedisUnreachable as error:
                raise StateWriteFailed(str(error)) from error

    def record_outcome(self, url: str, outcome: str, corpus_id: int | None = None) -> None:
        """Remember what became of an article URL."""
        try:
            self._outcome(
                keys=[self._url(url)], args=[outcome, "" if corpus_id is None else corpus_id]
            )
        except RedisUnreachable as error:
            raise StateWriteFailed(str(error)) from error

    def articles_fetched_before(self, source: str, cutoff: str) -> Iterator[str]:
        """Yield article URLs of ``source`` last fetched before ``cutoff`` (a WARC-Date)."""
        urls = [
            u.decode()
            for u in cast(
                "list[bytes]",
                self.server.zrangebyscore(
                    self.keys.state("articles", source), "-inf", f"({_seconds(cutoff)}"
                ),
            )
        ]
        with self.server.pipeline() as batch:
            for url in urls:
                batch.hexists(self._url(url), "outcome")
            settled = batch.execute()
        yield from (url for url, has_outcome in zip(urls, settled) if has_outcome)

    def record_run(self, run: str, source: str, figures: dict[str, Any]) -> None:
        """Add this worker's figures of one source to those of the shared run.

        The shared run is named by its start (the run token's), not by ``run`` (this worker's
        start), so the workers of one run make one run in the history.
        """
        try:
            self._add_run(
                keys=[self.keys.state("runs", source), self.keys.run],
                args=[run, json.dumps(figures, sort_keys=True)],
            )
        except RedisUnreachable as error:
            raise StateWriteFailed(str(error)) from error

    def _runs(self, source: str) -> list[tuple[str, dict[str, Any]]]:
        try:
            stored = cast(
                "dict[bytes, bytes]", self.server.hgetall(self.keys.state("runs", source))
            )
        except RedisUnreachable:
            return []
        return sorted(
            ((run.decode(), json.loads(figures)) for run, figures in stored.items()), reverse=True
        )

    def last_run(self, source: str) -> tuple[str, dict[str, Any]] | None:
        """Return the start time and figures of the last run of ``source``, if any."""
        runs = self._runs(source)
        return runs[0] if runs else None

    def recent_runs(self, source: str, count: int) -> list[dict[str, Any]]:
        """Return the figures of the last ``count`` runs of ``source``, newest first."""
        return [figures for _, figures in self._runs(source)[:count]]

    def runs_since(self, source: str, since: str) -> list[tuple[str, dict[str, Any]]]:
        """Return the start times and figures of the runs of ``source`` started at ``since`` or later, newest first."""
        return [(run, figures) for run, figures in self._runs(source) if run >= since]
