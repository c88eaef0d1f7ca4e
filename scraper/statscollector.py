"""Scrapy's stats collector without the deprecation check it makes on every attribute read."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class PlainStatsCollector(MemoryStatsCollector):
    """:class:`~scrapy.statscollectors.MemoryStatsCollector`, its attributes read plainly.

    Scrapy's collector looks up every attribute it is asked for (``inc_value``, and its own
    ``_stats`` inside) through a ``__getattribute__`` that wraps the public methods to warn
    about a ``spider`` argument, and that raises and catches an ``AttributeError`` for every
    other name: 3.1 us a counter against 0.2 us, 23 counters per article page. The methods and
    what they keep are Scrapy's; a ``spider`` argument is taken without the warning.
    """

    __getattribute__ = object.__getattribute__
