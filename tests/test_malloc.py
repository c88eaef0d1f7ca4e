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
# how much anonymous memory the process holds before and after.
ALLOCATE_AND_FREE = """
import sys
from scraper.extensions.malloc import set_mmap_threshold
if sys.argv[1] != "0":
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
print(before, anonymous())
"""


def held_after_freeing(threshold: int) -> int:
    """MiB of anonymous memory a process still holds after freeing 60 MiB of 256 KiB blocks."""
    result = subprocess.run(
        [sys.executable, "-c", ALLOCATE_AND_FREE, str(threshold)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    before, after = map(int, result.stdout.split())
    return after - before


@glibc
def test_freed_page_sized_blocks_go_back_to_the_system() -> None:
    assert held_after_freeing(0) > 40  # glibc alone keeps them in its heap
    assert held_after_freeing(128 * 1024) < 10


@glibc
def test_the_extension_sets_the_threshold_here_and_for_the_extraction_processes(
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


def test_a_zero_threshold_turns_the_extension_off() -> None:
    with pytest.raises(NotConfigured):
        MallocTuning.from_crawler(get_crawler(Spider, {"MALLOC_MMAP_THRESHOLD": 0}))
