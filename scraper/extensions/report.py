"""Write the crawl report at the end of every run (``REPORT_ENABLED``); build it from settings."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from scraper.commands.serve import COLLECTION
from scraper.paths import corpus_dir, data_dir
from scraper.report.data import Report, RunHistory, SourceInfo, gather
from scraper.report.page import render
from scraper.sources import load_sources

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def report_path(settings: BaseSettings) -> Path:
    """Return ``REPORT_FILE``, by default ``DATA_DIR/report.html``."""
    return Path(settings.get("REPORT_FILE") or data_dir(settings) / "report.html")


def write_report(
    settings: BaseSettings,
    state: RunHistory | None,
    output: Path | None = None,
    only: set[str] | None = None,
    replay_url: str | None = None,
) -> tuple[Path, Report]:
    """Gather the report of ``DATA_DIR`` and write it to ``output`` (default ``REPORT_FILE``)."""
    path = output or report_path(settings)
    sources = [
        SourceInfo(source.name, source.url, source.enabled)
        for source in load_sources(settings.get("SOURCES_FILE"))
    ]
    report = gather(
        corpus_dir(settings),
        state,
        sources,
        now=datetime.now(UTC),
        days=settings.getint("REPORT_DAYS"),
        latest=settings.getint("REPORT_LATEST"),
        only=only,
        idle_runs=settings.getint("ATTENTION_IDLE_RUNS"),
        min_responses=settings.getint("ATTENTION_MIN_RESPONSES"),
    )
    page = render(report, replay_url or settings.get("REPORT_REPLAY_URL"), COLLECTION)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, path)
    return path, report


class ReportExtension:
    """Hold the report settings of a crawl; the summary asks it to write the report once the run's
    figures are recorded, and names the file in its last line."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReportExtension:
        if not crawler.settings.getbool("REPORT_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def write(self, state: RunHistory | None) -> tuple[str, bool]:
        """Write the report; return what the summary says of it (the file, or why it is missing)
        and whether it was written."""
        path = report_path(self.crawler.settings)
        try:
            write_report(self.crawler.settings, state)
        except (OSError, ValueError) as error:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("report/failed")
            logger.error("Report not written to %s: %s", path, error)
            return f"not written to {path} ({error})", False
        return str(path), True
