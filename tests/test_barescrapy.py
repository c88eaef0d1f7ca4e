"""The crawl benchmark's floor and ceiling: Scrapy alone fetches each URL once and says what
it got, and with ``--extract`` what our extraction made of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sitefixture.scrapyrun import ROOT
from sitefixture.server import Resource
from tests.conftest import ServedSite


def bare(urls: list[str], tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.barescrapy", str(listing), "4", *options],
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


def test_with_extract_every_answer_goes_through_our_extraction(
    news_site: ServedSite, tmp_path: Path
) -> None:
    news_site.server.routes["/bare/empty"] = Resource(b"<html><body></body></html>")
    articles = sorted(news_site.site.corpus_paths)[:3]
    urls = [news_site.url(path) for path in [*articles, "/bare/empty"]]
    done = bare(urls, tmp_path, "--extract", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "answered 4 of 4" in done.stdout
    assert "extracted 3 of 4" in done.stdout
