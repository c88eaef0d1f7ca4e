"""glibc's mapping threshold: page-sized blocks go back to the system once freed."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from scraper.extensions.malloc import ENVIRONMENT_VARIABLE, MallocTuning

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")

# Frees 60 MiB of page-sized blocks, each between small objects that stay, and prints
# how much anonymous memory the process holds before and after. With two arguments the
# extension sets the thresholds (MALLOC_MMAP_THRESHOLD, CRAWL_MALLOC_MMAP_THRESHOLD) first,
# and the process also prints what it passes on to the processes it starts.
ALLOCATE_AND_FREE = """
import os, sys
from scraper.extensions.malloc import ENVIRONMENT_VARIABLE, MallocTuning, set_mmap_threshold
if len(sys.argv) > 2:
    from scrapy import Spider
    from scrapy.utils.test import get_crawler
    settings = {"MALLOC_MMAP_THRESHOLD": sys.argv[1], "CRAWL_MALLOC_MMAP_THRESHOLD": sys.argv[2]}
    assert MallocTuning.from_crawler(get_crawler(Spider, settings)).applied
elif sys.argv[1] != "0":
    assert set_mmap_threshold(int(sys.argv[1]))
def anonymous():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) // 1024
warm = bytearray(300 * 1024); del warm  # glibc's sliding threshold rises past page size here
before = anonymous()
blocks, keep = [], []
for n in range(240):
    blocks.append(bytearray(256 * 1024))
    keep.append(bytearray(2048))
del blocks
print(before, anonymous(), os.environ.get(ENVIRONMENT_VARIABLE))
"""


def held_after_freeing(*thresholds: int) -> tuple[int, str]:
    """MiB of anonymous memory a process still holds after freeing 60 MiB of 256 KiB blocks,
    and the threshold it passes on to the processes it starts."""
    result = subprocess.run(
        [sys.executable, "-c", ALLOCATE_AND_FREE, *map(str, thresholds)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    before, after, passed_on = result.stdout.split()
    return int(after) - int(before), passed_on


@glibc
def test_freed_page_sized_blocks_go_back_to_the_system() -> None:
    assert held_after_freeing(0)[0] > 40  # glibc alone keeps them in its heap
    assert held_after_freeing(128 * 1024)[0] < 10


@glibc
def test_the_crawl_process_keeps_page_sized_blocks_to_reuse_and_its_workers_do_not() -> None:
    held, passed_on = held_after_freeing(128 * 1024, 1024 * 1024)
    assert held > 40 and passed_on == "131072"
    held, passed_on = held_after_freeing(128 * 1024, 128 * 1024)
    assert held < 10 and passed_on == "131072"
    held, passed_on = held_after_freeing(0, 128 * 1024)
    assert held < 10 and passed_on == "None"


@glibc
def test_the_extension_passes_the_threshold_on_to_the_extraction_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        ENVIRONMENT_VARIABLE, ""
    )  # so that the test's end takes away what the extension sets
    monkeypatch.delenv(ENVIRONMENT_VARIABLE)
    extension = MallocTuning.from_crawler(get_crawler(Spider, {"MALLOC_MMAP_THRESHOLD": 131072}))
    assert extension.applied
    child = subprocess.run(
        [sys.executable, "-c", f"import os; print(os.environ['{ENVIRONMENT_VARIABLE}'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.strip() == "131072"


def test_zero_thresholds_turn_the_extension_off() -> None:
    settings = {"MALLOC_MMAP_THRESHOLD": 0, "CRAWL_MALLOC_MMAP_THRESHOLD": 0}
    with pytest.raises(NotConfigured):
        MallocTuning.from_crawler(get_crawler(Spider, settings))
