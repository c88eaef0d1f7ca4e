"""Shared fixtures: fixture sites on 127.0.0.1 and crawls run as real ``scrapy`` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sitefixture import FixtureServer
from sitefixture.news import NewsSite, build_news_site

ROOT = Path(__file__).resolve().parent.parent
TEST_SETTINGS = {
    "ALLOW_PRIVATE_ADDRESSES": "True",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "EXTRACTION_PROCESSES": "2",
}


@dataclass
class CrawlResult:
    """What one ``scrapy crawl news`` run left behind."""

    returncode: int
    log: str
    data_dir: Path

    @property
    def archive(self) -> Path:
        return self.data_dir / "archive"

    @property
    def corpus(self) -> Path:
        return self.data_dir / "corpus"

    def manifest(self) -> list[dict[str, Any]]:
        path = self.corpus / "index.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def warc_files(self) -> list[Path]:
        return sorted(self.archive.glob("*.warc.gz"))


def run_scrapy(args: list[str], workdir: Path, settings: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy ARGS`` in ``workdir`` as a user would, with test settings."""
    command = [sys.executable, "-m", "scrapy", *args]
    for name, value in {**TEST_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "scraper.settings", "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)


def crawl(workdir: Path, sources_text: str, settings: dict[str, str] | None = None, args: list[str] | None = None) -> CrawlResult:
    """Write ``sources_text`` to a sources file and crawl it into ``workdir/data``."""
    workdir.mkdir(parents=True, exist_ok=True)
    sources = workdir / "sources.toml"
    sources.write_text(sources_text)
    data = workdir / "data"
    done = run_scrapy(
        ["crawl", "news", *(args or [])],
        workdir,
        {"SOURCES_FILE": str(sources), "DATA_DIR": str(data), **(settings or {})},
    )
    return CrawlResult(done.returncode, done.stderr + done.stdout, data)


@dataclass
class ServedSite:
    server: FixtureServer
    offsite: FixtureServer
    site: NewsSite

    def url(self, path: str) -> str:
        return self.server.url(path)


@pytest.fixture
def news_site() -> ServedSite:
    """The fixture news site on 127.0.0.1 and an off-site host on 127.0.0.2."""
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        yield ServedSite(server, offsite, site)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[ServedSite, CrawlResult]:
    """One crawl of the fixture news site, shared by the tests of a module."""
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        served = ServedSite(server, offsite, site)
        result = crawl(tmp_path_factory.mktemp("crawl"), site.source_toml(server.base_url))
        yield served, result
