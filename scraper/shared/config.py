"""Turn a crawl into a worker of the shared crawl when ``REDIS_URL`` is set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scraper.shared.connection import keys, socket_timeout

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

SETTLED_MIDDLEWARE = "scraper.shared.settled.SettledMiddleware"
SETTLED_ORDER = 5  # outermost spider middleware: sees the output the engine gets


def share_through_redis(settings: BaseSettings) -> None:
    """Point the scheduler and the duplicate filter at Redis (scrapy-redis's settings)."""
    names = keys(settings)
    seconds = socket_timeout(settings.getfloat("REDIS_OUTAGE_TIMEOUT"))
    for name, value in {
        "SCHEDULER": "scraper.shared.scheduler.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": names.requests,
        "SCHEDULER_DUPEFILTER_KEY": names.seen,
        "SCHEDULER_PERSIST": True,  # the workers decide together when a run ends
        # Each host's delay and concurrency hold across all workers (scraper.shared.politeness).
        "DOWNLOADER": "scraper.shared.downloader.SharedSlotsDownloader",
        # scrapy-redis's clients (queue, seen-set) ride out an outage as ours do.
        "REDIS_PARAMS": {
            "redis_cls": "scraper.shared.outage.PatientRedis",
            "socket_timeout": seconds,
            "socket_connect_timeout": seconds,
        },
    }.items():
        settings.set(name, value, priority="spider")
    middlewares = settings.getdict("SPIDER_MIDDLEWARES")
    middlewares[SETTLED_MIDDLEWARE] = SETTLED_ORDER
    settings.set("SPIDER_MIDDLEWARES", middlewares, priority="spider")
