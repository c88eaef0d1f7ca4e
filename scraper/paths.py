"""Resolve the data directories from settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


def data_dir(settings: BaseSettings) -> Path:
    return Path(settings.get("DATA_DIR") or "data")


def archive_dir(settings: BaseSettings) -> Path:
    """Return ``ARCHIVE_DIR``, by default ``DATA_DIR/archive``."""
    return Path(settings.get("ARCHIVE_DIR") or data_dir(settings) / "archive")


def corpus_dir(settings: BaseSettings) -> Path:
    """Return ``CORPUS_DIR``, by default ``DATA_DIR/corpus``."""
    return Path(settings.get("CORPUS_DIR") or data_dir(settings) / "corpus")


def state_path(settings: BaseSettings) -> Path:
    """Return ``CRAWL_STATE_FILE``, by default ``DATA_DIR/state.sqlite``."""
    return Path(settings.get("CRAWL_STATE_FILE") or data_dir(settings) / "state.sqlite")
