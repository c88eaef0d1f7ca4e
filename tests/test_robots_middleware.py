"""PoliteRobotsTxtMiddleware on its own: requests that wait for robots.txt together."""

from __future__ import annotations

import asyncio

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.utils.test import get_crawler

from scraper.downloadermiddlewares.robots import PoliteRobotsTxtMiddleware

SITE = "http://127.0.0.1:9"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class SlowRobots:
    """An engine whose robots.txt answer arrives only when the test says so."""

    def __init__(self) -> None:
        self.answer: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.asked: list[str] = []

    async def download_async(self, request: Request) -> Response:
        self.asked.append(request.url)
        return await self.answer


async def outcomes(paths: list[str]) -> list[str]:
    """What the middleware does with ``paths`` asked all at once, before robots.txt is in."""
    crawler = get_crawler(Spider, {"ROBOTSTXT_OBEY": True})
    engine = SlowRobots()
    crawler.engine = engine  # type: ignore[assignment]
    middleware = PoliteRobotsTxtMiddleware.from_crawler(crawler)
    waiting = [
        asyncio.ensure_future(middleware.process_request(Request(SITE + path))) for path in paths
    ]
    for _ in range(10):  # every request reaches its wait for the robots.txt answer
        await asyncio.sleep(0)
    assert engine.asked == [SITE + "/robots.txt"]
    engine.answer.set_result(TextResponse(SITE + "/robots.txt", body=ROBOTS, encoding="utf-8"))
    results = await asyncio.gather(*waiting, return_exceptions=True)
    return ["refused" if isinstance(result, IgnoreRequest) else "allowed" for result in results]


def test_every_request_waiting_for_robots_txt_gets_its_rules() -> None:
    paths = ["/", "/private/a", "/private/b", "/news/1", "/private/c"]
    assert asyncio.run(outcomes(paths)) == ["allowed", "refused", "refused", "allowed", "refused"]
