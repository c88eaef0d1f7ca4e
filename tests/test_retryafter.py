"""Reading Retry-After (delta-seconds, HTTP-dates, what cannot be read) and the middleware's limit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import build_from_crawler
from twisted.python.failure import Failure

from scraper.downloadermiddlewares.retryafter import RetryAfterMiddleware, retry_after_seconds
from scraper.exitcodes import PARTIAL, STAT
from scraper.spiders.news import NewsSpider
from sitefixture.inprocess import end_crawl, summarized_crawler

NOW = datetime(2026, 11, 23, 7, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Mon, 23 Nov 2026 07:01:30 GMT", 90.0),
        ("Mon, 23 Nov 2026 06:59:00 GMT", 0.0),  # already past: go on
        ("soon", None),
        ("-3", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_a_retry_after_past_the_limit_is_not_waited_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base = "https://hostile.example"
    sources = f'[[source]]\nname = "hostile"\nurl = "{base}/"\n'
    crawler = summarized_crawler(NewsSpider, sources, tmp_path, RETRY_AFTER_MAX=60)
    spider = NewsSpider.from_crawler(crawler)
    # process_response runs from the highest order down: Retry-After (560), then retries (550).
    pause = build_from_crawler(RetryAfterMiddleware, crawler)
    retry = build_from_crawler(RetryMiddleware, crawler)
    send = crawler.signals.send_catch_log
    home = Request(f"{base}/", meta={"source": "hostile", "kind": "home"})
    send(signals.response_downloaded, response=Response(home.url), request=home, spider=spider)
    story = Request(
        f"{base}/news/2026/11/20/a-story", meta={"source": "hostile", "kind": "article"}
    )
    busy = Response(story.url, status=503, headers={"Retry-After": "86400"}, request=story)
    with caplog.at_level(logging.INFO):
        send(signals.response_downloaded, response=busy, request=story, spider=spider)
        answer = retry.process_response(story, pause.process_response(story, busy))
        assert answer is busy  # not retried: it goes on to the spider as the error it is
        failure = Failure(HttpError(busy, "not 2xx"))
        failure.request = story  # type: ignore[attr-defined]
        spider.on_error(failure)
        end_crawl(crawler, spider)
    assert (
        f"{story.url} answered 503 asking to wait 86400 s (Retry-After), more than "
        "RETRY_AFTER_MAX (60 s): not retried" in caplog.text
    )
    stats = crawler.stats
    assert stats.get_value("retry_after/too_long") == 1
    assert stats.get_value("retry/count") is None
    assert stats.get_value(STAT) == PARTIAL  # the story was not fetched: an error of its source
