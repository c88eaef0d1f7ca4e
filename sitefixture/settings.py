"""The project's settings (scraper/settings.py), for components built in-process by the tests."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from scrapy.settings import Settings

import scraper.settings

#: Left out: ``get_crawler`` would build our extensions (they open DATA_DIR), and the tests
#: build the components they try themselves.
COMPONENTS = ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES")


def project_settings(
    overrides: dict[str, Any] | None = None, leave_out: Collection[str] = COMPONENTS
) -> dict[str, Any]:
    """The settings of scraper/settings.py but ``leave_out``, then ``overrides``: for
    ``get_crawler(Spider, ...)``.

    Components read their settings without a fallback (the defaults live in scraper/settings.py),
    so a component built outside ``scrapy`` needs these, as a crawl has them.
    """
    defaults = {
        name: value
        for name, value in vars(scraper.settings).items()
        if name.isupper() and name not in leave_out
    }
    return {**defaults, **(overrides or {})}


def settings(overrides: dict[str, Any] | None = None) -> Settings:
    """``project_settings(overrides)`` as a Scrapy ``Settings`` object."""
    return Settings(project_settings(overrides))
