"""Scheduled runs over the same DATA_DIR: only what is new is fetched, with revisits for the rest."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.records import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED
from sitefixture import FixtureServer
from sitefixture.news import build_news_site
from tests.conftest import CrawlResult, crawl
from tests.wayback import fetch, wayback


@dataclass
class Runs:
    server: FixtureServer
    requests: list[list[str]]  # paths requested by each run
    results: list[CrawlResult]
    article_paths: set[str]
    new_path: str


def run_paths(server: FixtureServer, since: int) -> list[str]:
    return server.paths()[since:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """Three runs on one DATA_DIR; one article is published between runs 1 and 2."""
    workdir = tmp_path_factory.mktemp("incremental")
    now = datetime.now(UTC)
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        before = build_news_site(server.base_url, offsite.base_url, now)
        after = build_news_site(server.base_url, offsite.base_url, now, later=True)
        server.routes.update(before.routes)
        sources = before.source_toml(server.base_url)
        requests, results = [], []
        for number in range(3):
            if number == 1:
                server.routes.update(after.routes)
            start = len(server.paths())
            results.append(crawl(workdir, sources))
            requests.append(run_paths(server, start))
        article_paths = {a.path for a in after.articles.values()}
        yield Runs(server, requests, results, article_paths, after.articles["a12"].path)


def articles_requested(runs: Runs, number: int) -> list[str]:
    return [p for p in runs.requests[number] if p.split("?")[0] in runs.article_paths]


def test_every_run_succeeds(runs: Runs) -> None:
    for result in runs.results:
        assert result.returncode == 0, result.log


def test_second_run_fetches_only_the_new_article(runs: Runs) -> None:
    assert articles_requested(runs, 1) == [runs.new_path]
    assert len(articles_requested(runs, 0)) >= 9


def test_third_run_fetches_no_article(runs: Runs) -> None:
    assert articles_requested(runs, 2) == []
    # ...but it polls robots.txt, feeds, sitemaps and sections again.
    assert {
        "/robots.txt",
        "/feed.rss",
        "/atom.xml",
        "/sitemap_index.xml",
        "/section/world/",
    } <= set(runs.requests[2])


def test_summary_counts_known_articles(runs: Runs) -> None:
    line = next(
        l for l in reversed(runs.results[2].log.splitlines()) if l.strip().startswith("fixture:")
    )
    assert "discovered 12 (12 known)" in line and "written 0," in line


def test_polls_are_conditional(runs: Runs) -> None:
    third_run = runs.server.requests[-len(runs.requests[2]) :]
    conditional = {r.path for r in third_run if "If-None-Match" in r.headers}
    assert {"/robots.txt", "/feed.rss", "/sitemap_index.xml", "/section/world/"} <= conditional


def test_numbering_continues_across_runs(runs: Runs) -> None:
    manifest = runs.results[-1].manifest()
    assert [entry["id"] for entry in manifest] == list(range(9))
    assert manifest[-1]["url"].endswith(runs.new_path)
    assert manifest[-1]["file"].startswith("008_")
    corpus = runs.results[-1].corpus
    assert sorted(p.name[:3] for p in corpus.glob("*.txt")) == [f"{n:03d}" for n in range(9)]


def revisits(result: CrawlResult) -> list:
    found = []
    for path in result.warc_files():
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "revisit":
                    record.content_stream().read()
                    found.append(record)
    return found


def test_revisits_are_archived_with_both_profiles(runs: Runs) -> None:
    found = revisits(runs.results[-1])
    profiles = {r.rec_headers["WARC-Profile"] for r in found}
    assert profiles == {PROFILE_NOT_MODIFIED, PROFILE_IDENTICAL}
    for record in found:
        for name in (
            "WARC-Refers-To",
            "WARC-Refers-To-Target-URI",
            "WARC-Refers-To-Date",
            "WARC-Payload-Digest",
        ):
            assert record.rec_headers[name], name
    not_modified = [r for r in found if r.rec_headers["WARC-Profile"] == PROFILE_NOT_MODIFIED]
    assert all(r.http_headers.get_statuscode() == "304" for r in not_modified)
    atom = [r for r in found if r.rec_headers["WARC-Target-URI"].endswith("/atom.xml")]
    assert len(atom) == 2 and {r.rec_headers["WARC-Profile"] for r in atom} == {PROFILE_IDENTICAL}


def test_revisits_point_at_archived_responses(runs: Runs) -> None:
    result = runs.results[-1]
    responses = {}
    for path in result.warc_files():
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    responses[record.rec_headers["WARC-Record-ID"]] = record.rec_headers
    for record in revisits(result):
        original = responses[record.rec_headers["WARC-Refers-To"]]
        assert original["WARC-Target-URI"] == record.rec_headers["WARC-Refers-To-Target-URI"]
        assert original["WARC-Date"] == record.rec_headers["WARC-Refers-To-Date"]
        assert original["WARC-Payload-Digest"] == record.rec_headers["WARC-Payload-Digest"]


def test_warcio_check_passes_after_three_runs(runs: Runs) -> None:
    files = runs.results[-1].warc_files()
    assert len(files) == 3
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def _stamp(record) -> str:  # type: ignore[no-untyped-def]
    return "".join(ch for ch in record.rec_headers["WARC-Date"] if ch.isdigit())[:14]


def test_pywb_resolves_revisits_to_their_originals(runs: Runs, tmp_path: Path) -> None:
    result = runs.results[-1]
    found = revisits(result)
    same = next(r for r in reversed(found) if r.rec_headers["WARC-Profile"] == PROFILE_IDENTICAL)
    not_modified = next(
        r
        for r in reversed(found)
        if r.rec_headers["WARC-Target-URI"].endswith("/sitemap_index.xml")
    )
    with wayback(result.archive, tmp_path) as base:
        # An identical-payload revisit replays as the original response, body and all.
        url = same.rec_headers["WARC-Target-URI"]
        status, headers, body = fetch(f"{base}/news/{_stamp(same)}id_/{url}")
        assert status == 200
        assert body == runs.server.routes["/atom.xml"].body
        # A server-not-modified revisit replays as the capture it stands for, not as an
        # empty 304; that capture is there at its own date too.
        url = not_modified.rec_headers["WARC-Target-URI"]
        status, headers, body = fetch(f"{base}/news/{_stamp(not_modified)}id_/{url}")
        assert status == 200 and headers["Memento-Datetime"]
        assert body == runs.server.routes["/sitemap_index.xml"].body
        refers = "".join(
            ch for ch in not_modified.rec_headers["WARC-Refers-To-Date"] if ch.isdigit()
        )[:14]
        status, headers, body = fetch(f"{base}/news/{refers}id_/{url}")
        assert status == 200
        assert body == runs.server.routes["/sitemap_index.xml"].body


def test_recrawl_updates_a_changed_article_in_place(news_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sources = news_site.site.source_toml(news_site.server.base_url, recrawl_after_days="0")
    first = crawl(tmp_path, sources)
    assert first.returncode == 0, first.log
    before = len(first.manifest())
    path = news_site.site.articles["a1"].path
    route = news_site.server.routes[path]
    route.body = route.body.replace(
        b'<div class="article-body">\n<p>',
        b'<div class="article-body">\n<p>Update: talks resumed on Monday. ',
        1,
    )

    second = crawl(tmp_path, sources)
    assert second.returncode == 0, second.log
    manifest = second.manifest()
    changed = [e for e in manifest if e["url"].endswith(path)]
    assert [e["version"] for e in changed] == [1, 2]
    assert changed[0]["id"] == changed[1]["id"] and changed[0]["file"] == changed[1]["file"]
    assert changed[1]["warc"]["filename"] != changed[0]["warc"]["filename"]
    text = (second.corpus / changed[1]["file"]).read_text(encoding="utf-8")
    assert "Update: talks resumed on Monday." in text
    assert len(manifest) == before + 1  # the others did not change
    assert "updated 1" in second.log or "'news/fixture/updated': 1" in second.log
    # Every settled article is asked for again; the ones discovery finds again are known ones.
    discovered = re.search(r"discovered (\d+) \((\d+) known\), recrawled (\d+),", second.log)
    assert discovered, second.log[-2000:]
    assert int(discovered[1]) == int(discovered[2]) > 0 and int(discovered[3]) >= before
