"""``scrapy serve``: pywb, a third-party replay tool, serves what we archived byte for byte."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.cdxj import read_index
from sitefixture.scrapyrun import run_scrapy
from tests.conftest import CrawlResult, ServedSite
from tests.wayback import fetch, wayback


@pytest.fixture(scope="module")
def wayback_url(
    crawled: tuple[ServedSite, CrawlResult], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    _, result = crawled
    with wayback(result.archive, tmp_path_factory.mktemp("serve")) as base:
        yield base


def test_pywb_replays_articles_byte_for_byte(
    crawled: tuple[ServedSite, CrawlResult], wayback_url: str
) -> None:
    served, _ = crawled
    for key in ("a1", "a2", "a3"):  # plain, gzip-encoded, chunked
        path = served.site.articles[key].path
        status, headers, body = fetch(f"{wayback_url}/news/id_/{served.url(path)}")
        assert status == 200
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert body == served.server.routes[path].body


def test_pywb_replays_the_redirect(
    crawled: tuple[ServedSite, CrawlResult], wayback_url: str
) -> None:
    served, _ = crawled
    old = next(path for path, r in served.server.routes.items() if r.status == 301)
    status, headers, _ = fetch(f"{wayback_url}/news/id_/{served.url(old)}")
    assert status == 301
    assert headers["Location"].endswith(served.site.articles["a11"].path)


def test_an_archived_page_is_shown_at_its_timestamp(
    crawled: tuple[ServedSite, CrawlResult], wayback_url: str
) -> None:
    served, result = crawled
    url = served.url(served.site.articles["a1"].path)
    [capture] = [entry for entry in read_index(result.archive) if entry.url == url]
    status, headers, body = fetch(f"{wayback_url}/news/{capture.timestamp}mp_/{url}")
    assert status == 200 and headers["Memento-Datetime"]
    assert served.site.articles["a1"].title.encode() in body


def test_serve_refuses_an_empty_archive(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = run_scrapy(["serve", "--archive", str(tmp_path / "empty")], tmp_path)
    assert done.returncode == 2 and f"no WARC files to serve in {tmp_path / 'empty'}" in done.stderr


def test_serve_names_a_pywb_program_it_cannot_run(
    crawled: tuple[ServedSite, CrawlResult], tmp_path: Path
) -> None:
    _, result = crawled
    done = run_scrapy(
        ["serve", "--archive", str(result.archive)],
        tmp_path,
        {"PYWB_WAYBACK": str(tmp_path / "no-wayback")},
    )
    assert done.returncode == 2
    assert (
        done.stderr
        == f"error: PYWB_WAYBACK {tmp_path / 'no-wayback'} is not a program that can be run\n"
    )


def test_a_304_capture_is_shown_as_the_page_it_stands_for(
    news_site: ServedSite, tmp_path: Path
) -> None:
    from tests.conftest import crawl

    text = news_site.site.source_toml(news_site.server.base_url)
    first = crawl(tmp_path, text)
    again = crawl(tmp_path, text)
    assert first.returncode == 0 and again.returncode == 0, again.log
    home = news_site.url("/")
    [revisit] = [
        e for e in read_index(again.archive) if e.url == home and e.fields.get("status") == "304"
    ]
    (tmp_path / "serve").mkdir()
    with wayback(again.archive, tmp_path / "serve") as base:
        status, headers, body = fetch(f"{base}/news/{revisit.timestamp}id_/{home}")
    assert status == 200, (status, headers)
    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    assert body == news_site.server.routes["/"].body
