"""Ride out a Redis outage: retry each command with exponential backoff for a bounded time.

Every Redis client of a shared crawl is a :class:`PatientRedis`: a command that fails for
want of a connection is tried again after 0.1, 0.2, 0.4 ... seconds (at most
``MAX_DELAY``) while the outage has lasted less than ``REDIS_OUTAGE_TIMEOUT``. The worker
waits meanwhile (its downloads pause). Once the outage outlasts the timeout, the clients
of that server give up: :class:`RedisUnreachable` at once for every command, and
the listeners of :class:`Outage` are told, once, so the crawl can stop. A server that
refuses writes (full at its ``maxmemory``, or a read-only replica) is given up on at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.commands.core import Script
from redis.exceptions import ExecAbortError, NoScriptError, OutOfMemoryError, ReadOnlyError
from redis.retry import Retry

logger = logging.getLogger(__name__)

FIRST_DELAY = 0.1  # seconds before the first retry; doubled after each failure
MAX_DELAY = 10.0
DEFAULT_TIMEOUT = 300.0
SCRIPT_LOADS = 5  # times a script is loaded again for one call before its NoScriptError is raised

T = TypeVar("T")

_LOST = (redis.ConnectionError, redis.TimeoutError)
# Answers that no retry will change: the server is full (maxmemory) or read-only (a replica).
_REFUSED = (OutOfMemoryError, ReadOnlyError, ExecAbortError)


def shown(url: str) -> str:
    """``url`` without its password, to name the server in messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}@" if parts.username else ""
    where = parts.netloc.rpartition("@")[2]  # host and port as written, even a bad port
    return urlunsplit(parts._replace(netloc=f"{user}{where}"))


class RedisUnreachable(redis.ConnectionError, OSError):
    """Redis stayed unreachable for longer than ``REDIS_OUTAGE_TIMEOUT``; names the server.

    An OSError too: a corpus write that needs a number from Redis fails as writes do
    (the article is not written, the next run extracts it again).
    """


class Outage:
    """The state of one Redis server as this process sees it: reachable, down since when,
    or given up on."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = shown(url)
        self.timeout = timeout
        self.down_since: float | None = None
        self.back_at: float | None = None  # when it last answered again after an outage
        self.gave_up: str | None = None  # the message, once given up
        self.listeners: list[Callable[[str], None]] = []

    def call(self, command: Callable[[], T]) -> T:
        """``command()``, tried again while the outage lasts less than the timeout."""
        if self.gave_up is not None:
            # Not tried: a hung server would hold every command of the shutdown for the socket
            # timeout.
            raise RedisUnreachable(self.gave_up)
        delay = FIRST_DELAY
        while True:
            began = time.monotonic()
            try:
                result = command()
            except _LOST as error:
                delay = self._failed(error, delay, began)
                continue
            except _REFUSED as error:
                self.give_up(f"Redis at {self.url} refuses writes: {error}")
                raise RedisUnreachable(self.gave_up) from error
            if self.down_since is not None and self.gave_up is None:
                self.back_at = time.monotonic()
                logger.warning(
                    "Redis at %s is back after %.1f s", self.url, self.back_at - self.down_since
                )
                self.down_since = None
            return result

    def give_up(self, message: str, tell: bool = True) -> None:
        """Give up on this server at once: every command from now on raises
        :class:`RedisUnreachable` with ``message``. The listeners are told, once, unless
        ``tell`` is false (the caller stops the crawl for its own reason)."""
        if self.gave_up is None:
            self.gave_up = message
            if tell:
                for listener in self.listeners:
                    listener(message)

    def back_within(self, seconds: float) -> bool:
        """Whether Redis came back from an outage less than ``seconds`` ago."""
        return self.back_at is not None and time.monotonic() - self.back_at < seconds

    def _failed(self, error: Exception, delay: float, began: float) -> float:
        """Wait before the next try and return the delay after it, or raise RedisUnreachable.

        The outage began when the first failing command did: one that hung until its socket
        timeout counts that time too.
        """
        if self.gave_up is not None:
            raise RedisUnreachable(self.gave_up) from error
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = began
            logger.warning(
                "Redis at %s does not answer (%s): trying again for up to %g s "
                "(REDIS_OUTAGE_TIMEOUT)",
                self.url,
                error,
                self.timeout,
            )
        left = self.down_since + self.timeout - now
        if left <= 0:
            self.give_up(
                f"Redis at {self.url} unreachable for {now - self.down_since:.0f} s "
                f"(REDIS_OUTAGE_TIMEOUT {self.timeout:g} s): {error}"
            )
            raise RedisUnreachable(self.gave_up) from error
        time.sleep(min(delay, left))
        return min(delay * 2, MAX_DELAY)


_OUTAGES: dict[str, Outage] = {}


def outage_of(url: str) -> Outage:
    """The one :class:`Outage` of this process for the server of ``url``."""
    if url not in _OUTAGES:
        _OUTAGES[url] = Outage(url)
    return _OUTAGES[url]


class PatientRedis(redis.Redis):
    """A Redis client that rides out outages (see the module); made with :meth:`from_url`."""

    outage: Outage

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> PatientRedis:
        # Our retries replace the client's own (redis-py 6 retries 3 times by default).
        kwargs.setdefault("retry", Retry(NoBackoff(), 0))
        client = cast("PatientRedis", super().from_url(url, **kwargs))
        client.outage = outage_of(url)
        return client

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return self.outage.call(lambda: super(PatientRedis, self).execute_command(*args, **options))

    def register_script(self, script: Any) -> Script:
        return _PatientScript(self, script)

    def ping_once(self) -> bool:
        """PING without retrying: whether the server answers now."""
        return bool(super().execute_command("PING"))

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        batch = _PatientPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
        batch.outage = self.outage
        return batch


class _PatientPipeline(Pipeline):
    """A pipeline whose :meth:`execute` is tried again, whole, while an outage lasts."""

    outage: Outage

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        commands = list(self.command_stack)

        def attempt() -> list[Any]:
            self.command_stack = list(commands)  # a failed execute() empties it
            return Pipeline.execute(self, raise_on_error)

        return self.outage.call(attempt)


class _PatientScript(Script):
    """A Lua script loaded again whenever Redis does not know it.

    A restarted server has forgotten every script, and may restart again between the
    load and the call: redis-py loads a script again once per call.
    """

    def __call__(self, keys: Any = None, args: Any = None, client: Any = None) -> Any:
        for _ in range(SCRIPT_LOADS - 1):
            try:
                return super().__call__(keys, args, client)
            except NoScriptError:
                continue
        return super().__call__(keys, args, client)
