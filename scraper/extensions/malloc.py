"""Keep the crawl's memory flat: page-sized blocks go back to the system once freed.

glibc serves a large block from the heap once a block of that size has been
freed, raising its threshold for mapping blocks of their own as it goes. A crawl
frees page bodies and parse buffers of a few hundred kilobytes all the time, so
its heaps fill with holes that are never given back. A fixed threshold keeps
every block of at least that size mapped: freeing it unmaps it.

Each mapping costs page faults when it is first written, though, so the threshold is 1 MiB
by default, above most page bodies (which are reused from the heap) and below the
occasional huge one. The crawl process, which copies every body several times on its way
(read, inflated, pickled for a worker), has a threshold of its own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
# Read by glibc when a process starts: the extraction pool's processes get the same threshold.
ENVIRONMENT_VARIABLE = "MALLOC_MMAP_THRESHOLD_"


def set_mmap_threshold(size: int, own: int | None = None) -> bool:
    """Map blocks of ``size`` bytes or more on their own in the processes this one starts, and
    blocks of ``own`` bytes or more (by default ``size``) in this process; ``0`` leaves glibc's
    sliding threshold, there or here.

    Returns whether this process took its setting: ``False`` without glibc, or when glibc
    refuses the size (above 32 MiB on 64-bit systems); ``True`` when there was none to take.
    """
    if size:
        os.environ.setdefault(ENVIRONMENT_VARIABLE, str(size))
    here = size if own is None else own
    if not here:
        return True
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, here))


class MallocTuning:
    """Set glibc's mapping threshold to ``MALLOC_MMAP_THRESHOLD`` bytes for the extraction
    processes and to ``CRAWL_MALLOC_MMAP_THRESHOLD`` bytes in the crawl process, when the
    crawler starts."""

    def __init__(self, threshold: int, crawl_threshold: int, applied: bool) -> None:
        self.threshold = threshold
        self.crawl_threshold = crawl_threshold
        self.applied = applied

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MallocTuning:
        threshold = crawler.settings.getint("MALLOC_MMAP_THRESHOLD")
        crawl_threshold = crawler.settings.getint("CRAWL_MALLOC_MMAP_THRESHOLD")
        if threshold <= 0 and crawl_threshold <= 0:
            raise NotConfigured(
                "MALLOC_MMAP_THRESHOLD and CRAWL_MALLOC_MMAP_THRESHOLD are 0: glibc keeps its "
                "sliding threshold"
            )
        applied = set_mmap_threshold(max(threshold, 0), max(crawl_threshold, 0))
        if not applied:
            logger.info(
                "CRAWL_MALLOC_MMAP_THRESHOLD=%d not applied: no glibc, or a size it refuses",
                crawl_threshold,
            )
        return cls(threshold, crawl_threshold, applied)
