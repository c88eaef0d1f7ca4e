"""Scrapy's robots.txt handling, read as RFC 9309 says for error answers and huge files."""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: at least 500 KiB must be parsed; we parse no more


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware that does not read rules into error answers.

    - 5xx (after retries), per RFC 9309 section 2.3.1.4: the host is treated as
      fully disallowed for this run, with a warning and ``robotstxt/unavailable``.
    - 4xx: no robots.txt, everything is allowed; an error page is not parsed as rules.
    - Past ``MAX_ROBOTS_BYTES``, the rest of the file is ignored.
    """

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        body = response.body
        if response.status >= 500:
            logger.warning(
                "robots.txt of %s answered %d: nothing is fetched from %s this run (RFC 9309)",
                netloc, response.status, netloc,
            )
            self._stats.inc_value("robotstxt/unavailable")
            body = DISALLOW_ALL
        elif response.status >= 400:
            logger.info("robots.txt of %s answered %d: no rules, everything allowed", netloc, response.status)
            body = b""
        elif len(body) > MAX_ROBOTS_BYTES:
            logger.warning("robots.txt of %s is %d bytes: only the first %d are read", netloc, len(body), MAX_ROBOTS_BYTES)
            self._stats.inc_value("robotstxt/truncated")
            body = body[:MAX_ROBOTS_BYTES]
        await super()._parse_robots(response.replace(body=body), netloc, request)
