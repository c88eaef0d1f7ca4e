"""The report of a real crawl: written by ``scrapy crawl`` when asked, and seen in a real browser.

The browser is Debian's chromium driven by Playwright (no browser download); without
them these tests are skipped with the reason, in CI they fail (``.ci/run`` installs both).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scraper import exitcodes
from sitefixture import FixtureServer, Resource, pages
from sitefixture.news import build_news_site
from sitefixture.scrapyrun import run_scrapy
from tests.conftest import ServedSite, crawl, missing
from tests.wayback import wayback

HOSTILE = (
    '<script>console.error("pwned")</script><img src=x onerror="console.error(1)">Hostile headline'
)


def test_report_refuses_a_data_dir_that_does_not_exist_and_a_damaged_manifest(
    tmp_path: Path,
) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nurl = "https://a.example/"\n')
    missing = tmp_path / "typo"
    done = run_scrapy(["report"], tmp_path, {"DATA_DIR": str(missing)})
    assert done.returncode == exitcodes.CONFIG, done.stderr
    assert f"error: no crawl to report on: {missing} does not exist" in done.stderr
    assert not missing.exists()
    corpus = tmp_path / "data" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "index.jsonl").write_text('not json\n{"file": "00001.txt"}\n')
    done = run_scrapy(["report"], tmp_path, {"DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == exitcodes.CONFIG, done.stderr
    assert "index.jsonl line 1" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServedSite, Any, Path]]:
    """The fixture site, crawled once with ``REPORT_ENABLED``."""
    workdir = tmp_path_factory.mktemp("report")
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        news = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(news.routes)
        served = ServedSite(server, offsite, news)
        result = crawl(workdir, news.source_toml(server.base_url), {"REPORT_ENABLED": "True"})
        assert result.returncode == 0, result.log[-3000:]
        yield served, result, workdir


def test_a_crawl_writes_the_report_and_its_summary_names_it(
    site: tuple[ServedSite, Any, Path],
) -> None:
    served, result, _ = site
    path = result.data_dir / "report.html"
    assert f"Report: {path}" in result.log
    page = path.read_text(encoding="utf-8")
    assert served.site.articles["a1"].title in page
    off_topic = served.url(served.site.articles["a6"].path)
    assert off_topic in page  # an example of its filter reason
    with sqlite3.connect(result.data_dir / "state.sqlite") as db:
        [(figures,)] = db.execute(
            "SELECT figures FROM source_runs WHERE source = 'fixture'"
        ).fetchall()
    assert off_topic in json.loads(figures)["examples"]["off-topic"]


def test_a_report_the_crawl_cannot_write_is_a_failed_write(tmp_path: Path) -> None:
    with FixtureServer() as server:
        server.routes["/robots.txt"] = Resource(
            b"User-agent: *\nAllow: /\n", content_type="text/plain"
        )
        server.routes["/"] = Resource(pages.listing_html("Home", []).encode())
        (tmp_path / "file").write_text("")
        target = tmp_path / "file" / "report.html"
        settings = {"REPORT_ENABLED": "True", "REPORT_FILE": str(target)}
        result = crawl(
            tmp_path, f'[[source]]\nname = "home"\nurl = "{server.base_url}/"\n', settings
        )
    assert result.returncode == 74, result.log[-2000:]
    assert f"Report not written to {target}: " in result.log
    assert f"Report: not written to {target} (" in result.log
    assert "'report/failed': 1" in result.log


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: pip install -e '.[test]'")
    chromium = shutil.which("chromium")
    if chromium is None:
        missing("chromium is not installed: apt-get install chromium (.ci/run installs it)")
    with sync_playwright() as playwright:
        # Chromium's sandbox needs user namespaces, which containers running as root often lack.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        launched = playwright.chromium.launch(executable_path=chromium, args=args)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def served_report(site: tuple[ServedSite, Any, Path], browser: Any) -> Iterator[tuple[Path, str]]:
    """The crawl's report, one hostile manifest line added, linking to ``scrapy serve`` (pywb)."""
    _, result, workdir = site
    corpus = workdir / "corpus-hostile"
    shutil.copytree(result.corpus, corpus)
    with (corpus / "index.jsonl").open("a", encoding="utf-8") as manifest:
        manifest.write(
            json.dumps(
                {
                    "id": 999,
                    "file": "999_0000000000000000.txt",
                    "url": "javascript:console.error('pwned')",
                    "canonical_url": "javascript:console.error('pwned')",
                    "source": "fixture",
                    "title": HOSTILE,
                    "language": "en",
                    "words": 1,
                    "fetched_at": "2099-01-01T00:00:00Z",
                }
            )
            + "\n"
        )
    (workdir / "serve").mkdir()
    with wayback(result.archive, workdir / "serve") as base:
        output = workdir / "hostile.html"
        done = run_scrapy(
            ["report", "--output", str(output), "--replay-url", base],
            workdir,
            {"DATA_DIR": str(result.data_dir), "CORPUS_DIR": str(corpus)},
        )
        assert done.returncode == 0, done.stderr
        yield output, base


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return page, errors


def test_the_report_opens_cleanly_and_its_charts_render(
    served_report: tuple[Path, str], browser: Any
) -> None:
    path, _ = served_report
    page, errors = _open(browser, path.as_uri())
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    for index in range(2):
        box = charts.nth(index).bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
    for chart in ("#per-day", "#languages"):
        bars = page.locator(f"{chart} svg rect")
        assert bars.count() >= 1
        for index in range(bars.count()):
            box = bars.nth(index).bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0
    hostile = page.locator("#latest tr", has_text="Hostile headline")
    assert HOSTILE in hostile.inner_text()  # shown as text, not run
    assert hostile.locator("a").count() == 0  # a javascript: URL is no link
    assert errors == []
    page.close()


def test_an_archived_link_opens_the_page_replayed_by_serve(
    site: tuple[ServedSite, Any, Path], served_report: tuple[Path, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    served, _, _ = site
    article = served.site.articles["a1"]
    path, base = served_report
    page, _ = _open(browser, path.as_uri())
    page.locator("#latest tr", has_text=article.title).locator("a.archived").click()
    page.wait_for_url(f"{base}/news/**")
    expect(page.frame_locator("#replay_iframe").get_by_text(article.paragraphs[0])).to_be_visible(
        timeout=20_000
    )
    page.close()


def test_serve_shows_an_archived_article_in_its_replay_page(
    site: tuple[ServedSite, Any, Path], served_report: tuple[Path, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    served, _, _ = site
    article = served.site.articles["a2"]  # archived gzip-encoded
    _, base = served_report
    page, _ = _open(browser, f"{base}/news/{served.url(article.path)}")
    expect(page.frame_locator("#replay_iframe").get_by_text(article.paragraphs[0])).to_be_visible(
        timeout=20_000
    )
    page.close()
