"""``scrapy addsource``: sites of four shapes added and crawled; refusals leave the file as it was."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitefixture import FixtureServer, Resource
from sitefixture.scrapyrun import run_scrapy
from sitefixture.shapes import SHAPES, build_shaped_site
from tests.conftest import crawl

#: A hand-written start of a sources file: comments, odd spacing, a defaults table.
SOURCES_HEADER = b"""# Our sources -- keep this comment
[defaults]
min_words   = 100   # aligned by hand
max_age_days = 30

"""


def addsource(
    workdir: Path, *args: str, settings: dict[str, str] | None = None
) -> tuple[int, str, str]:
    done = run_scrapy(
        ["addsource", *args],
        workdir,
        {"SOURCES_FILE": str(workdir / "sources.toml"), **(settings or {})},
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("shape", SHAPES)
def test_added_site_is_crawled_for_its_articles_only(tmp_path: Path, shape: str) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_bytes(SOURCES_HEADER)
    with FixtureServer() as server:
        site = build_shaped_site(shape, server.base_url)
        server.routes.update(site.routes)
        code, out, err = addsource(tmp_path, server.url("/"), "--name", "shaped")
        assert code == 0, err
        added = sources.read_bytes()
        assert added.startswith(SOURCES_HEADER)
        assert "article_pattern '^https?://" in out and "matches 5/5 sampled articles, 0/" in out
        asked_before_crawl = len(server.requests)
        result = crawl(tmp_path, added.decode())
        assert result.returncode == 0, result.log
        crawled = [urlsplit(url).path for url in server.paths()[asked_before_crawl:]]
    stored = sorted(urlsplit(entry["url"]).path for entry in result.manifest())
    assert stored == sorted(site.article_paths)
    assert not set(crawled) & set(site.non_article_paths)


def test_what_each_shape_reveals(tmp_path: Path) -> None:
    found = {}
    for shape in SHAPES:
        with FixtureServer() as server:
            server.routes.update(build_shaped_site(shape, server.base_url).routes)
            code, out, _ = addsource(tmp_path, server.url("/"), "--dry-run")
            assert code == 0
            found[shape] = out
    assert "/feeds/latest.rss (6 items; link tag)" in found["feed"]
    assert "/maps/articles.xml (6 URLs; robots.txt)" in found["sitemap"]
    assert (
        "no feed and no sitemap found" in found["sections"] and "section  http" in found["sections"]
    )
    assert "/feed (6 items; common path)" in found["common-feed"]
    assert all("language en" in out and "Dry run:" in out for out in found.values())
    assert not (tmp_path / "sources.toml").exists()
    assert not (tmp_path / "data").exists()  # a probe archives and remembers nothing


@pytest.fixture
def served_feed_site() -> FixtureServer:
    with FixtureServer() as server:
        server.routes.update(build_shaped_site("feed", server.base_url).routes)
        yield server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _refused(
    workdir: Path, *args: str, settings: dict[str, str] | None = None, code: int = 2
) -> str:
    sources = workdir / "sources.toml"
    before = sources.read_bytes()
    exit_code, out, err = addsource(workdir, *args, settings=settings)
    assert exit_code == code, out + err
    assert sources.read_bytes() == before
    assert "nothing was added" in err
    return err


def test_refusals_leave_the_file_byte_for_byte(
    tmp_path: Path, served_feed_site: FixtureServer
) -> None:
    existing = (
        SOURCES_HEADER + b'[[source]]\r\nname = "known"\r\nurl = "https://known.example/news/"\r\n'
    )
    (tmp_path / "sources.toml").write_bytes(existing)
    assert "malformed URL: 'not a url' is not an http(s) URL" in _refused(tmp_path, "not a url")
    assert "malformed URL" in _refused(tmp_path, "ftp://127.0.0.1/")
    assert "a source named 'known' already exists" in _refused(
        tmp_path, served_feed_site.url("/"), "--name", "known"
    )
    assert "already configured as source 'known'" in _refused(
        tmp_path, "http://www.known.example/news"
    )
    port = _free_port()
    err = _refused(tmp_path, f"http://127.0.0.1:{port}/", code=3)
    error = next(line for line in err.splitlines() if line.startswith("error: "))
    assert f"http://127.0.0.1:{port}/ does not answer: robots.txt cannot be read (" in error
    assert "Connection refused" in error and "Forbidden by robots.txt" not in err
    err = _refused(
        tmp_path, served_feed_site.url("/"), settings={"ALLOW_PRIVATE_ADDRESSES": "False"}, code=3
    )
    assert (
        f"{served_feed_site.url('/')} does not answer:" in err and "ALLOW_PRIVATE_ADDRESSES" in err
    )
    assert served_feed_site.requests == []


def test_a_site_without_articles_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_bytes(SOURCES_HEADER)
    menu = '<header><nav><a href="/about">About</a></nav></header>'
    with FixtureServer() as server:
        server.routes["/"] = Resource(
            f'<html><body>{menu}<a href="/pages/who-we-are-and-what-we-do">Who we are</a></body></html>'.encode()
        )
        server.routes["/pages/who-we-are-and-what-we-do"] = Resource(
            b"<html><body><p>A small team.</p></body></html>"
        )
        err = _refused(tmp_path, server.url("/"))
        assert f"nothing article-like found at {server.url('/')} (use --force" in err
        code, _out, err = addsource(tmp_path, server.url("/"), "--force", "--name", "bare")
    assert code == 0, err
    text = (tmp_path / "sources.toml").read_bytes()
    assert (
        text.startswith(SOURCES_HEADER)
        and b'name = "bare"' in text
        and b"article_pattern" not in text
    )


def test_dry_run_changes_nothing_and_keywords_are_written(
    tmp_path: Path, served_feed_site: FixtureServer
) -> None:
    (tmp_path / "sources.toml").write_bytes(SOURCES_HEADER)
    url = served_feed_site.url("/")
    code, out, _ = addsource(
        tmp_path, url, "--dry-run", "--keywords", "Venezuela, Caracas", "--keywords", "Russia"
    )
    assert code == 0 and (tmp_path / "sources.toml").read_bytes() == SOURCES_HEADER
    assert 'keywords = [["Venezuela", "Caracas"], ["Russia"]]' in out
    code, out, _ = addsource(tmp_path, url, "--language", "es", "--keywords", "Venezuela")
    assert code == 0
    text = (tmp_path / "sources.toml").read_text()
    assert (
        'name = "127-0-0-1"' in text
        and 'language = "es"' in text
        and 'keywords = [["Venezuela"]]' in text
    )


def test_samples_are_judged_with_the_inherited_keywords(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_bytes(
        SOURCES_HEADER.replace(
            b"max_age_days = 30\n", b'max_age_days = 30\nkeywords = [["Zanzibar"]]\n'
        )
    )
    with FixtureServer() as server:
        server.routes.update(build_shaped_site("feed", server.base_url).routes)
        code, out, err = addsource(tmp_path, server.url("/"), "--dry-run")
    assert code == 0, err
    samples = [line for line in out.splitlines() if line.strip().startswith(("ok ", "off-topic "))]
    assert samples and all(line.strip().startswith("off-topic") for line in samples), out
    assert '    keywords          [["Zanzibar"]]  (from [defaults])' in out
    assert "    max_age_days      30  (from [defaults])" in out
    assert (
        f"warning: none of the {len(samples)} sampled pages would enter the corpus (off-topic {len(samples)})"
        in err
    )
    assert "widen the keywords" in err


def test_keywords_given_are_judged_and_not_marked_inherited(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_bytes(
        SOURCES_HEADER.replace(
            b"max_age_days = 30\n", b'max_age_days = 30\nkeywords = [["Zanzibar"]]\n'
        )
    )
    with FixtureServer() as server:
        server.routes.update(build_shaped_site("feed", server.base_url).routes)
        code, out, err = addsource(tmp_path, server.url("/"), "--dry-run", "--keywords", "the,a,of")
    assert code == 0, err
    assert '    keywords          [["the", "a", "of"]]\n' in out
    assert "warning" not in err


def test_a_crawl_delay_is_said_at_once_and_in_the_report(tmp_path: Path) -> None:
    """The probe waits for it between its fetches; it was silent for as long."""
    (tmp_path / "sources.toml").write_bytes(SOURCES_HEADER)
    with FixtureServer() as server:
        server.routes.update(build_shaped_site("feed", server.base_url).routes)
        server.routes["/robots.txt"].body += b"\nUser-agent: *\nCrawl-delay: 0.1\n"
        code, out, err = addsource(tmp_path, server.url("/"), "--dry-run")
    assert code == 0, err
    assert (
        f"robots.txt of 127.0.0.1:{server.port} asks a Crawl-delay: the probe asks one page at a "
        "time, 0.1 s apart"
    ) in err
    assert (
        "  robots.txt Crawl-delay: one request at a time, 0.1 s apart, at most 36,000 pages an hour"
        in out
    )
