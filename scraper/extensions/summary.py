"""Log a summary per source when the crawl ends."""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING

from scrapy import Request, Spider, signals
from scrapy.http import Response

from corpus.urls import same_site

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class SourceSummary:
    """Count responses (redirects included) per source and status; log them at the end.

    The spider and pipelines count ``news/<source>/discovered``, ``written``,
    ``filtered/<reason>`` and ``errors``; this extension adds ``fetched`` and
    ``status/<code>`` and prints them all.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceSummary:
        extension = cls(crawler)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _source_of(self, request: Request, spider: Spider) -> str | None:
        name = request.meta.get("source")
        if name:
            return name
        for source in getattr(spider, "sources", {}).values():
            if same_site(request.url, source.host):
                return source.name
        return None

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        name = self._source_of(request, spider)
        if name:
            self.stats.inc_value(f"news/{name}/fetched")
            self.stats.inc_value(f"news/{name}/status/{response.status}")

    def figures(self, name: str) -> dict[str, object]:
        """Return the summary figures of one source."""
        prefix = f"news/{name}/"
        values = {k[len(prefix):]: v for k, v in self.stats.get_stats().items() if k.startswith(prefix)}
        return {
            "discovered": values.get("discovered", 0),
            "fetched": values.get("fetched", 0),
            "status": dict(sorted(Counter({k[7:]: v for k, v in values.items() if k.startswith("status/")}).items())),
            "written": values.get("written", 0),
            "filtered": {k[9:]: v for k, v in sorted(values.items()) if k.startswith("filtered/")},
            "errors": sum(v for k, v in values.items() if k == "errors" or k.startswith("errors/")),
        }

    def spider_closed(self, spider: Spider, reason: str) -> None:
        lines = [f"Crawl finished ({reason}). Summary per source:"]
        for name in getattr(spider, "sources", {}):
            f = self.figures(name)
            status = " ".join(f"{code}:{count}" for code, count in f["status"].items()) or "-"  # type: ignore[union-attr]
            filtered = " ".join(f"{k}:{v}" for k, v in f["filtered"].items()) or "-"  # type: ignore[union-attr]
            lines.append(
                f"  {name}: discovered {f['discovered']}, fetched {f['fetched']} ({status}), "
                f"written {f['written']}, filtered {filtered}, errors {f['errors']}"
            )
        logger.info("\n".join(lines))
