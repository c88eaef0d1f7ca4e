"""Scrapy's robots.txt handling, read as RFC 9309 says for error answers, unreachable hosts and huge files."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from scraper import meta
from scraper.crawldelay import CrawlDelays
from scraper.shared.robots import REFUSED, RULES, UNREACHABLE, RobotsOutcome

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from scraper.shared.robots import SharedRobots

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: at least 500 KiB must be parsed; we parse no more
SHARED_POLL = 0.2  # seconds between looks for the robots.txt another worker is fetching


def _pass_on(
    parser: RobotParser | None, waiter: Deferred[RobotParser | None]
) -> RobotParser | None:
    waiter.callback(parser)
    return parser


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware that does not read rules into error answers.

    - Unreachable (connection refused or reset, timeout, DNS failure, a body cut
      short) or 5xx after retries, per RFC 9309 section 2.3.1.4: the host is treated
      as fully disallowed for this run, with a warning, ``robotstxt/unavailable`` and
      an error of the source that asked first; the next run asks again.
    - 4xx: no robots.txt, everything is allowed; an error page is not parsed as rules.
    - Past ``MAX_ROBOTS_BYTES``, the rest of the file is ignored.
    - In a shared crawl (``REDIS_URL``) one worker fetches a host's robots.txt per run and the
      others use what it made of it (:mod:`scraper.shared.robots`).
    - A ``Crawl-delay`` for our User-Agent becomes its host's download slot: one request at a
      time, that many seconds apart (:mod:`scraper.crawldelay`).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._unreachable_why: dict[str, str] = {}
        self._shared: SharedRobots | None = None
        if crawler.settings.get("REDIS_URL"):
            from scraper.shared.connection import connect, keys
            from scraper.shared.robots import SharedRobots
            from scraper.shared.workers import this_worker

            self._shared = SharedRobots(
                connect(crawler.settings), keys(crawler.settings).robots, this_worker()
            )
        settings = crawler.settings
        # As long as the one fetch may take, retries included; then another worker tries.
        self._claim_seconds = settings.getfloat("DOWNLOAD_TIMEOUT") * (
            settings.getint("RETRY_TIMES") + 2
        )
        self._crawl_delays = CrawlDelays(crawler)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        why = self._unreachable_why.get(urlparse_cached(request).netloc)
        if why is not None:
            raise IgnoreRequest(
                f"robots.txt cannot be read ({why}): nothing is fetched from its host this run"
            )
        try:
            super().process_request_2(rp, request)
            if rp is not None:
                self._crawl_delays.apply(rp, self._useragent(request), request)
        except IgnoreRequest:
            kind = request.meta.get(meta.KIND)
            if kind not in (None, "article"):  # a way to the articles, not one of them
                logger.warning(
                    "robots.txt of %s forbids %s (%s of source %s): its articles are not found "
                    "through it",
                    urlparse_cached(request).netloc,
                    request.url,
                    kind,
                    request.meta.get(meta.SOURCE),
                )
            raise

    def crawl_delay(self, netloc: str) -> float:
        """The robots.txt Crawl-delay kept for ``netloc`` (``host:port``); 0 if none (yet)."""
        return self._crawl_delays.seconds(netloc)

    def _useragent(self, request: Request) -> str | bytes:
        """The User-Agent whose rules apply, chosen as Scrapy's ``process_request_2`` chooses it."""
        return (
            self._robotstxt_useragent
            or request.headers.get(b"User-Agent")
            or self._default_useragent
        )

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            await self._fetch_robots(request, netloc)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            # Awaiting a Deferred as a Future consumes its result (the next waiter would get
            # None, which means "no robots.txt, all allowed"): each waiter gets its own.
            waiter: Deferred[RobotParser | None] = Deferred()
            parser.addCallback(_pass_on, waiter)
            return await maybe_deferred_to_future(waiter)
        return parser

    async def _fetch_robots(self, request: Request, netloc: str) -> None:
        if self._shared is None or not await self._wait_for_shared(request, netloc):
            await self._download_robots(request, netloc)

    async def _wait_for_shared(self, request: Request, netloc: str) -> bool:
        """Use what another worker made of ``netloc``'s robots.txt this run (True), or claim it
        and return False: this worker fetches it and shares the outcome."""
        from redis import RedisError

        assert self._shared is not None
        try:
            while True:
                outcome = self._shared.get(netloc)
                if outcome is not None:
                    self._use_shared(request, netloc, outcome)
                    return True
                if self._shared.claim(netloc, self._claim_seconds):
                    return False
                pause: Deferred[None] = Deferred()
                call_later(SHARED_POLL, pause.callback, None)
                await maybe_deferred_to_future(pause)
        except RedisError as error:
            logger.warning(
                "robots.txt of %s: Redis (REDIS_URL) cannot be reached (%s), fetched by this worker",
                netloc,
                error,
            )
            self._shared = None
            return False

    def _use_shared(self, request: Request, netloc: str, outcome: RobotsOutcome) -> None:
        self._stats.inc_value("robotstxt/shared")
        if outcome.kind == UNREACHABLE:
            self._unreachable(request, netloc, outcome.detail.decode())
        elif outcome.kind == REFUSED:
            self._robots_error(IgnoreRequest(outcome.detail.decode()), netloc)
        else:
            self._set_parser(
                netloc, build_from_crawler(self._parserimpl, self.crawler, outcome.detail)
            )

    def _share(self, netloc: str, kind: str, detail: bytes) -> None:
        if self._shared is None:
            return
        from redis import RedisError

        try:
            self._shared.publish(netloc, RobotsOutcome(kind, detail))
        except RedisError as error:
            logger.warning(
                "robots.txt of %s cannot be shared through Redis (%s): other workers fetch it",
                netloc,
                error,
            )

    async def _download_robots(self, request: Request, netloc: str) -> None:
        robots = Request(
            f"{urlparse_cached(request).scheme}://{netloc}/robots.txt",
            priority=self.DOWNLOAD_PRIORITY,
            # Archived with the source that asked first, so a replay knows the record.
            meta={
                meta.DONT_OBEY_ROBOTSTXT: True,
                # RFC 9309 2.3.1.2: redirects are followed even to another host.
                meta.ALLOW_OFFSITE: True,
                meta.SOURCE: request.meta.get(meta.SOURCE),
                meta.KIND: "robots",
            },
            callback=NO_CALLBACK,
        )
        self._stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots)
        except IgnoreRequest as refused:
            # Refused by our own guards (address, scheme): each request to the host meets them too.
            self._share(netloc, REFUSED, str(refused).encode())
            self._robots_error(refused, netloc)
            return
        except Exception as error:  # noqa: BLE001 - every way of not reaching the host means the same
            why = f"{type(error).__name__}: {error}"
        else:
            if meta.DATALOSS in response.flags:
                why = "the connection broke before its end"
            elif response.status >= 500:
                why = f"it answered {response.status}"
            else:
                await self._parse_robots(response, netloc, request)
                return
        self._share(netloc, UNREACHABLE, why.encode())
        self._unreachable(request, netloc, why)

    def _unreachable(self, request: Request, netloc: str, reason: str) -> None:
        """Disallow the whole host for this run, and say so."""
        logger.warning(
            "robots.txt of %s cannot be read (%s): nothing is fetched from %s this run (RFC 9309)",
            netloc,
            reason,
            netloc,
        )
        self._stats.inc_value("robotstxt/unavailable")
        self._unreachable_why[netloc] = reason
        source = request.meta.get(meta.SOURCE)
        if source:
            self._stats.inc_value(f"news/{source}/errors/robots_unavailable")
        self._set_parser(netloc, build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL))

    def _set_parser(self, netloc: str, parser: RobotParser) -> None:
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        """Parse no rules from an error answer and at most ``MAX_ROBOTS_BYTES``, then as Scrapy does.

        This extends a private method on purpose: Scrapy's public hooks cannot do it. A
        ``ROBOTSTXT_PARSER`` class is given the body only, not the status that says whether the
        body is rules at all, and ``robots_parsed`` comes after the parser is built. Checked
        against Scrapy 2.18 and 2.19 (the floor in pyproject.toml, which CI tests).
        """
        body = response.body
        if response.status >= 400:
            logger.info(
                "robots.txt of %s answered %d: no rules, everything allowed",
                netloc,
                response.status,
            )
            body = b""
        elif len(body) > MAX_ROBOTS_BYTES:
            logger.warning(
                "robots.txt of %s is %d bytes: only the first %d are read",
                netloc,
                len(body),
                MAX_ROBOTS_BYTES,
            )
            self._stats.inc_value("robotstxt/truncated")
            body = body[:MAX_ROBOTS_BYTES]
        self._share(netloc, RULES, body)
        await super()._parse_robots(response.replace(body=body), netloc, request)
