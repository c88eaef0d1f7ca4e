"""Extraction quality on the real pages of ``../shared/pages``, when that folder is there.

The folder is not part of the repository; set ``NEWS_ARCHIVER_PAGES`` to point
elsewhere. Without it the test is skipped, with the reason printed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.extraction import run_ours
from benchmarks.sharedsite import load_pages

PAGES = Path(os.environ.get("NEWS_ARCHIVER_PAGES", Path(__file__).resolve().parents[2] / "shared" / "pages"))
MIN_F1 = 0.96


@pytest.mark.skipif(not (PAGES / "pages.jsonl").exists(), reason=f"no shared pages at {PAGES}")
def test_body_f1_on_shared_pages_is_at_least_the_target() -> None:
    scores = run_ours(load_pages(PAGES)).scores
    assert scores.f1 >= MIN_F1, scores
