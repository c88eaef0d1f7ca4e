"""Reach the Redis server of ``REDIS_URL`` and name the keys of a shared crawl."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scraper import exitcodes

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.settings import BaseSettings


MAX_SOCKET_TIMEOUT = 10.0  # seconds a command may hang on a silent server before it fails


def socket_timeout(outage_timeout: float) -> float:
    """Seconds a command may wait for an answer: a fraction of ``REDIS_OUTAGE_TIMEOUT``, so a
    hung server is given up on within about that timeout plus this one."""
    return max(1.0, min(MAX_SOCKET_TIMEOUT, outage_timeout / 4))


class SharedCrawlError(Exception):
    """The shared crawl cannot start: the extra is missing or Redis cannot be reached.

    ``code`` is the exit code: FAILED, or CONFIG for a ``REDIS_URL`` that is no Redis URL.
    """

    def __init__(self, message: str, code: int = exitcodes.FAILED) -> None:
        super().__init__(message)
        self.code = code


def missing_extra() -> str | None:
    """Why ``REDIS_URL`` cannot be used here, or None when scrapy-redis is installed."""
    if importlib.util.find_spec("scrapy_redis") is None:
        return (
            "REDIS_URL is set but scrapy-redis is not installed: pip install 'news-archiver[redis]'"
        )
    return None


def connect(settings: BaseSettings) -> Redis:
    """A client of ``REDIS_URL``, checked with a PING; SharedCrawlError names the URL and the reason.

    The client rides out a later outage for up to ``REDIS_OUTAGE_TIMEOUT`` seconds
    (:mod:`scraper.shared.outage`); this first PING is not retried.
    """
    problem = missing_extra()
    if problem:
        raise SharedCrawlError(problem)
    import redis
    from redis.exceptions import AuthenticationError, AuthorizationError, ResponseError

    from scraper.shared.outage import PatientRedis, outage_of, shown

    url = settings.get("REDIS_URL")
    if not url:
        raise SharedCrawlError("REDIS_URL is not set: the Redis crawl state and queue need it")
    timeout = settings.getfloat("REDIS_OUTAGE_TIMEOUT")
    seconds = socket_timeout(timeout)
    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    if parts.scheme in ("redis", "rediss") and database and not database.isdigit():
        raise SharedCrawlError(
            f"REDIS_URL {shown(url)!r}: the database {database!r} is no number "
            "(redis://host:port/NUMBER, 0 if left out)",
            exitcodes.CONFIG,
        )
    try:
        server = PatientRedis.from_url(url, socket_connect_timeout=seconds, socket_timeout=seconds)
    except ValueError as error:
        raise SharedCrawlError(
            f"REDIS_URL {shown(url)!r} is not a Redis URL: {error}", exitcodes.CONFIG
        ) from None
    try:
        server.ping_once()
    except (AuthenticationError, AuthorizationError, ResponseError) as error:
        raise SharedCrawlError(
            f"Redis at {shown(url)} refused REDIS_URL's password or database: {error}",
            exitcodes.CONFIG,
        ) from None
    except (redis.RedisError, ValueError) as error:
        raise SharedCrawlError(f"cannot reach Redis at {shown(url)}: {error}") from None
    outage_of(url).timeout = timeout
    return server


def glob_escaped(text: str) -> str:
    """``text`` as a Redis MATCH pattern that matches only itself."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def crawl_name(settings: BaseSettings) -> str:
    """The shared crawl of these settings, ``PREFIX at redis://HOST:PORT/DB``: the same for
    every way of writing one server's URL that spells out its host alike (no password)."""
    url = settings.get("REDIS_URL")
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        from scraper.shared.outage import shown

        return f"{keys(settings).prefix} at {shown(url)}"
    host = (parts.hostname or "localhost").lower()
    where = f"[{host}]" if ":" in host else host
    database = parts.path.lstrip("/") or "0"
    return f"{keys(settings).prefix} at {parts.scheme}://{where}:{parts.port or 6379}/{database}"


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one shared crawl, all under ``REDIS_KEY_PREFIX``."""

    prefix: str

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"  # scrapy-redis priority queue (sorted set)

    @property
    def seen(self) -> str:
        return f"{self.prefix}:seen"  # scrapy-redis request fingerprints

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"  # worker id -> time of its last heartbeat

    @property
    def robots(self) -> str:
        return f"{self.prefix}:robots"  # host -> what the worker that fetched robots.txt made of it

    @property
    def run(self) -> str:
        # The run in progress or last run, set by its first worker: "START-TIME RANDOM-ID".
        return f"{self.prefix}:run"

    @property
    def asked(self) -> tuple[str, str]:
        # The article URLs asked for this run (a set of "SOURCE URL"), and how many per source.
        return (f"{self.prefix}:asked", f"{self.prefix}:asked:count")

    @property
    def run_contents(self) -> tuple[str, ...]:
        """What a run leaves behind when it ends: the seen-set, the shared robots.txt, the
        articles asked for."""
        return (self.seen, self.robots, *self.asked)

    @property
    def per_run(self) -> tuple[str, ...]:
        """The keys a new run starts without: its token and :attr:`run_contents`."""
        return (self.run, *self.run_contents)

    @property
    def join_lock(self) -> str:
        return f"{self.prefix}:join"

    def taken(self, worker: str) -> str:
        return f"{self.prefix}:taken:{worker}"  # encoded request -> its queue score

    @property
    def corpus_numbers(self) -> str:
        return f"{self.prefix}:corpus:next"

    def state(self, *parts: str) -> str:
        return ":".join((self.prefix, "state", *parts))


def keys(settings: BaseSettings) -> Keys:
    return Keys(settings.get("REDIS_KEY_PREFIX") or "news")
