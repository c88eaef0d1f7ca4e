"""Signals of the news archiver, beside Scrapy's own."""

from __future__ import annotations

#: An article page was left out of the corpus; sent with ``source``, ``reason`` and ``url``.
article_filtered = object()
