"""Killed runs (SIGKILL, whole process group) and overlapping runs lose and corrupt nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sitefixture.scrapyrun import scrapy_command
from tests.conftest import TEST_SETTINGS, ServedSite, crawl, warcio_check


def start_crawl(workdir: Path, sources_text: str) -> subprocess.Popen[bytes]:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sources.toml").write_text(sources_text)
    settings = {
        **TEST_SETTINGS,
        "SOURCES_FILE": str(workdir / "sources.toml"),
        "DATA_DIR": str(workdir / "data"),
    }
    command, env = scrapy_command(["crawl", "news"], settings)
    return subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for_requests(news_site: ServedSite, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while len(news_site.server.paths()) < count:
        assert process.poll() is None, "the crawl ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.parametrize("kill_after", [2, 6, 12, 17])
def test_resume_after_sigkill(news_site: ServedSite, tmp_path: Path, kill_after: int) -> None:
    news_site.server.delay = 0.05
    sources = news_site.site.source_toml(news_site.server.base_url)
    process = start_crawl(tmp_path, sources)
    wait_for_requests(news_site, kill_after, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = len(news_site.server.paths())

    result = crawl(tmp_path, sources)
    assert result.returncode == 0, result.log
    assert not list(result.archive.glob("*.open"))
    assert warcio_check(result.warc_files()) == ""

    manifest = result.manifest()
    expected = news_site.corpus_urls()
    assert sorted(e["canonical_url"] for e in manifest) == sorted(expected), (
        f"killed after {killed_at} requests"
    )
    assert len({e["id"] for e in manifest}) == len(manifest)
    assert sorted(e["file"] for e in manifest) == sorted(
        p.name for p in result.corpus.glob("*.txt")
    )


def test_second_concurrent_run_is_refused(news_site: ServedSite, tmp_path: Path) -> None:
    news_site.server.delay = 0.1
    sources = news_site.site.source_toml(news_site.server.base_url)
    first = start_crawl(tmp_path, sources)
    try:
        wait_for_requests(news_site, 2, first)
        started = time.monotonic()
        second = crawl(tmp_path, sources)
        assert second.returncode == 75
        assert "error: another crawl (pid" in second.log and "crawl.lock" in second.log
        assert time.monotonic() - started < 30
    finally:
        first.wait(60)
    assert first.returncode == 0
    assert not list((tmp_path / "data" / "archive").glob("*.open"))


def test_an_article_cut_from_the_manifest_as_a_torn_line_is_written_again(
    news_site: ServedSite, tmp_path: Path
) -> None:
    """Killed while appending its manifest line: the state said "written", the next run writes it."""
    sources = news_site.site.source_toml(news_site.server.base_url)
    first = crawl(tmp_path, sources)
    assert first.returncode == 0, first.log
    manifest = first.corpus / "index.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    torn = json.loads(lines[-1])
    assert torn["version"] == 1 and torn["id"] == max(e["id"] for e in first.manifest())
    manifest.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])

    second = crawl(tmp_path, sources)
    assert second.returncode == 0, second.log
    assert "cut that torn last line" in second.log
    assert "were recorded as written to corpus ids past" in second.log
    entries = second.manifest()
    expected = news_site.corpus_urls()
    assert sorted(e["canonical_url"] for e in entries) == sorted(expected)
    again = next(e for e in entries if e["canonical_url"] == torn["canonical_url"])
    assert again["id"] > torn["id"]  # numbers are never reused
    assert sorted(e["file"] for e in entries) == sorted(p.name for p in second.corpus.glob("*.txt"))
