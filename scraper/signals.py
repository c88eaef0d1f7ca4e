"""Signals of the news archiver, beside Scrapy's own."""

from __future__ import annotations

#: An article page was left out of the corpus; sent with ``source``, ``reason`` and ``url``.
article_filtered = object()

#: The spider settled an article URL with no item to come (filtered before extraction, or
#: gone); sent with ``url`` (the canonical URL asked for), ``outcome`` and ``source``.
article_settled = object()

#: A response and its request were written to the WARC archive; sent with ``request``,
#: ``response``, ``record`` (the response or revisit record written), ``location`` (where it
#: went) and ``truncated`` (its ``WARC-Truncated`` reason, or None). The crawl state learns of
#: fetches from it, so it never knows of one whose record is not written.
record_written = object()
