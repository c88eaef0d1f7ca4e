"""A shared crawl settles a taken request only once the links found on its page are queued."""

from __future__ import annotations

import os
import subprocess
import sys

from sitefixture.scrapyrun import ROOT
from tests.settledcrawl import LINKS


def test_the_links_of_a_page_are_queued_before_its_output_is_said_to_end() -> None:
    """Were they not, a worker killed between the two would lose them: the page is settled,
    so no other worker fetches it again, and its links are in no queue."""
    ran = subprocess.run(
        [sys.executable, "-m", "tests.settledcrawl"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert f"links queued when the output ended: {LINKS} of {LINKS}" in ran.stdout, (
        ran.stdout + ran.stderr[-3000:]
    )
