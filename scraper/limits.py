"""Per-source bounds on discovery, so a hostile or huge site cannot keep a run going or fill memory."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from scraper.sources import Source

# sources.toml field -> the setting that gives its default; 0 means no limit.
LIMIT_SETTINGS = {
    "max_sitemap_depth": "SITEMAP_MAX_DEPTH",
    "max_sitemaps": "SITEMAP_MAX_COUNT",
    "max_sitemap_urls": "SITEMAP_MAX_URLS",
    "max_articles": "ARTICLES_MAX_PER_RUN",
}


@dataclass(frozen=True)
class DiscoveryLimits:
    """How far one source's discovery goes in a run; 0 means no limit."""

    max_sitemap_depth: int
    max_sitemaps: int
    max_sitemap_urls: int
    max_articles: int

    @classmethod
    def of(cls, source: Source, settings: BaseSettings) -> DiscoveryLimits:
        """The source's own limits, else the settings' defaults."""
        values = {}
        for name, setting in LIMIT_SETTINGS.items():
            own = getattr(source, name)
            values[name] = own if own is not None else settings.getint(setting)
        return cls(**values)


def over(count: int, limit: int) -> bool:
    """Whether ``count`` has reached ``limit`` (0: never)."""
    return bool(limit) and count >= limit


class AskedHere:
    """New article URLs asked for per source in this run, counted by this process alone."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def ask(self, source: str, url: str, most: int) -> bool:
        """Count one more article asked for ``source`` unless ``most`` were (0: no limit)."""
        if over(self.counts[source], most):
            return False
        self.counts[source] += 1
        return True
