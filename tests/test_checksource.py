"""``scrapy checksource NAME``: a few live articles judged as the corpus would, nothing written."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from sitefixture import FixtureServer, Resource, pages
from sitefixture.scrapyrun import run_scrapy, run_signalled
from tests.conftest import ServedSite


def checksource(workdir: Path, *args: str) -> tuple[int, str, str]:
    settings = {"SOURCES_FILE": str(workdir / "sources.toml"), "DATA_DIR": str(workdir / "data")}
    done = run_scrapy(["checksource", *args], workdir, settings)
    return done.returncode, done.stdout, done.stderr


def test_shows_what_the_corpus_would_get(tmp_path: Path, news_site: ServedSite) -> None:
    (tmp_path / "sources.toml").write_text(news_site.site.source_toml(news_site.server.base_url))
    code, out, err = checksource(tmp_path, "fixture")
    assert code == 0, err
    assert "feed     " + news_site.url("/feed.rss") in out
    assert "section  " + news_site.url("/section/world/") in out
    first = news_site.site.articles["a1"]
    assert f"{first.title}  <{news_site.url(first.path)}>" in out
    assert "    | (a1-0) " in out  # the article's first corpus line
    assert "off-topic" in out and "listing" in out  # the cycling lane and the live-updates page
    kept = sum(line.startswith("ok ") for line in out.splitlines())
    assert kept == 4 and "fixture: 4 of 6 sampled pages would enter the corpus" in out
    assert not (tmp_path / "data").exists()
    fetched = news_site.server.paths()
    assert "/private/insider-report-on-venezuela-russia-deals" not in fetched  # robots.txt obeyed


def test_unknown_source_and_unreachable_site(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nname = "gone"\nurl = "http://127.0.0.1:9/"\n'
    )
    code, _, err = checksource(tmp_path, "nope")
    assert code == 2 and "unknown source(s): nope (configured: gone)" in err
    code, _, err = checksource(tmp_path, "gone")
    assert code == 3 and "error: source 'gone': http://127.0.0.1:9/ does not answer: " in err
    code, _, err = checksource(tmp_path, "gone", "--samples", "0")
    assert code == 2 and "--samples 0: give 1 or more" in err  # it sampled one page


def test_shows_the_inherited_configuration_and_warns_when_nothing_enters(
    tmp_path: Path, news_site: ServedSite
) -> None:
    block = news_site.site.source_toml(news_site.server.base_url)
    block = "\n".join(line for line in block.splitlines() if not line.startswith("keywords"))
    (tmp_path / "sources.toml").write_text(
        '[defaults]\nkeywords = [["Zanzibar"]]\nmin_words = 50\n\n' + block + "\n"
    )
    code, out, err = checksource(tmp_path, "fixture")
    assert code == 0, err
    assert '    keywords          [["Zanzibar"]]  (from [defaults])' in out
    assert "    min_words         50  (from [defaults])" in out
    assert "    max_age_days      30\n" in out  # the source's own
    assert "fixture: 0 of 6 sampled pages would enter the corpus" in out
    assert "warning: none of the 6 sampled pages would enter the corpus (off-topic " in err


@pytest.mark.parametrize("command", ["checksource", "addsource"])
def test_a_probe_stopped_by_ctrl_c_writes_nothing_and_exits_130(
    command: str, tmp_path: Path
) -> None:
    """An interrupted probe printed its half-done findings as the result (0 of 0 sampled),
    and addsource --force added the source, both with exit code 0."""
    with FixtureServer() as server:
        server.routes["/robots.txt"] = Resource(b"User-agent: *\n", content_type="text/plain")
        links = [(f"/news/2026/11/{day}/a-long-story-{day}", "A story") for day in (20, 21, 22)]
        server.routes["/"] = Resource(pages.listing_html("Home", links).encode())
        for path, _ in links:
            server.routes[path] = Resource(b"<html><body><p>Late.</p></body></html>", delay=20)
        sources = tmp_path / "sources.toml"
        site = server.base_url if command == "checksource" else "http://127.0.0.1:9"  # not yet
        configured = f'[[source]]\nname = "slow"\nurl = "{site}/"\n'
        sources.write_text(configured)
        args = ["slow"] if command == "checksource" else [f"{server.base_url}/", "--force"]
        code, log = run_signalled(
            [command, *args, "--name", "other"][: 2 if command == "checksource" else None]
            + ["-L", "INFO"],
            tmp_path,
            {"SOURCES_FILE": str(sources), "DATA_DIR": str(tmp_path / "data")},
            [("Spider opened", signal.SIGINT)],
            ready=lambda: any(path.startswith("/news/") for path in server.paths()),
        )
    assert code == 130, log
    assert f"error: interrupted: the probe of {server.base_url}/ did not finish" in log
    assert "sampled" not in log and "Added source" not in log
    assert sources.read_text() == configured
