"""The crawl benchmark's floor: Scrapy alone fetches each URL once and says what it got."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sitefixture.scrapyrun import ROOT
from tests.conftest import ServedSite


def bare(urls: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.barescrapy", str(listing), "4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_url_is_fetched_once_and_a_missing_one_fails_the_run(
    news_site: ServedSite, tmp_path: Path
) -> None:
    paths = sorted(news_site.site.corpus_paths)[:5]
    before = len(news_site.server.paths())
    done = bare([news_site.url(path) for path in paths], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "answered 5 of 5" in done.stdout
    assert sorted(news_site.server.paths()[before:]) == paths

    missing = bare([news_site.url(paths[0]), news_site.url("/no/such/page")], tmp_path)
    assert missing.returncode == 1
    assert "answered 1 of 2" in missing.stdout
