"""The crawl state store: chosen by CRAWL_STATE_STORE, built from the crawler, read by commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from scraper import exitcodes
from scraper.extensions.crawlstate import CrawlStateExtension, crawl_state
from scraper.shared.state import RedisCrawlState
from scraper.signals import article_settled
from scraper.state import CrawlState, StateUnusable, UrlState
from scraper.statestore import StateUnreadable, reading_state, store_class
from sitefixture import FixtureServer, Resource
from sitefixture.settings import project_settings
from tests.conftest import crawl
from tests.test_hostile import STORY, one_article_site

URL = "http://127.0.0.1:9/a/story.html"


class MemoryStore:
    """A store of this test's own, to show any class named by CRAWL_STATE_STORE is used."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.outcomes: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> MemoryStore:
        return cls(crawler.settings.get("MEMORY_STORE_NAME"))

    def get(self, url: str) -> UrlState | None:
        outcome = self.outcomes.get(url)
        return None if outcome is None else UrlState(url, "s", "article", outcome=outcome)

    def record_outcome(self, url: str, outcome: str, corpus_id: int | None = None) -> None:
        self.outcomes[url] = outcome

    def close(self) -> None:
        pass


def test_the_sqlite_store_unless_told_otherwise() -> None:
    assert store_class(Settings()) is CrawlState
    assert store_class(Settings({"REDIS_URL": "redis://127.0.0.1:9/0"})) is RedisCrawlState
    chosen = Settings({"REDIS_URL": "redis://127.0.0.1:9/0", "CRAWL_STATE_STORE": MemoryStore})
    assert store_class(chosen) is MemoryStore
    assert store_class(Settings({"CRAWL_STATE_STORE": f"{__name__}.MemoryStore"})) is MemoryStore


def test_the_extension_builds_the_configured_store_and_writes_outcomes_to_it() -> None:
    crawler = get_crawler(
        Spider,
        project_settings(
            {
                "EXTENSIONS": {CrawlStateExtension: 100},
                "CRAWL_STATE_STORE": MemoryStore,
                "MEMORY_STORE_NAME": "mine",
            }
        ),
    )
    state = crawl_state(crawler)
    assert isinstance(state, MemoryStore) and state.name == "mine"
    crawler.signals.send_catch_log(article_settled, url=URL, outcome="http:404", source="s")
    assert state.outcomes == {URL: "http:404"}


def test_the_sqlite_store_lives_at_crawl_state_file(tmp_path: Path) -> None:
    crawler = get_crawler(
        Spider,
        project_settings(
            {
                "EXTENSIONS": {CrawlStateExtension: 100},
                "CRAWL_STATE_FILE": str(tmp_path / "elsewhere.sqlite"),
            }
        ),
    )
    state = crawl_state(crawler)
    assert isinstance(state, CrawlState) and state.path == tmp_path / "elsewhere.sqlite"
    crawler.signals.send_catch_log(article_settled, url=URL, outcome="http:410", source="s")
    state.close()


def test_reading_no_state_yet_gives_none(tmp_path: Path) -> None:
    with reading_state(Settings({"DATA_DIR": str(tmp_path)})) as state:
        assert state is None
    assert not (tmp_path / "state.sqlite").exists()


def test_reading_gives_the_runs_and_closes_the_store(tmp_path: Path) -> None:
    writer = CrawlState(tmp_path / "state.sqlite")
    writer.record_run("2026-11-30T10:00:00", "s", {"articles": 3})
    writer.close()
    with reading_state(Settings({"DATA_DIR": str(tmp_path)})) as state:
        assert state is not None
        assert state.last_run("s") == ("2026-11-30T10:00:00", {"articles": 3})
    with pytest.raises(Exception, match="closed"):
        state.last_run("s")


def test_a_damaged_state_is_one_line_and_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "state.sqlite").write_bytes(b"not a database at all" * 100)
    settings = Settings({"DATA_DIR": str(tmp_path)})
    with pytest.raises(StateUnreadable) as caught, reading_state(settings) as state:
        assert state is not None
        state.last_run("s")
    assert caught.value.exitcode == exitcodes.CONFIG
    assert str(caught.value).startswith(f"{tmp_path / 'state.sqlite'}: cannot read the crawl state")


def test_an_unreachable_redis_is_one_line_and_a_failure() -> None:
    settings = Settings({"REDIS_URL": "redis://127.0.0.1:9/0"})
    with pytest.raises(StateUnreadable) as caught, reading_state(settings):
        pass
    assert caught.value.exitcode == exitcodes.FAILED
    assert "127.0.0.1:9" in str(caught.value) or "scrapy-redis" in str(caught.value)


class RefusingStore(CrawlState):
    """The SQLite store, refusing to be crawled with: ``scrapy crawl`` must ask the store."""

    @classmethod
    def check_state(cls, settings: Any) -> None:
        raise StateUnusable("the refusing store: refused")


class ForgettingStore(CrawlState):
    """The SQLite store, claiming two URLs past the manifest's last corpus id."""

    @classmethod
    def forget_corpus_ids_above(cls, settings: Any, last_id: int | None) -> int:
        return 2


def test_forgetting_corpus_ids_past_the_manifest_unsettles_only_those(tmp_path: Path) -> None:
    settings = Settings({"DATA_DIR": str(tmp_path)})
    state = CrawlState(tmp_path / "state.sqlite")
    for number in (2, 3, 5):
        url = f"http://127.0.0.1:9/{number}.html"
        state.record_fetch(
            url, source="s", kind="article", fetched_at="2026-11-30T10:00:00Z", status=200
        )
        state.record_outcome(url, "corpus", number)
    state.close()
    assert CrawlState.forget_corpus_ids_above(settings, 2) == 2
    assert CrawlState.forget_corpus_ids_above(settings, 2) == 0
    state = CrawlState.reader(tmp_path / "state.sqlite")
    kept = {n: state.get(f"http://127.0.0.1:9/{n}.html") for n in (2, 3, 5)}
    state.close()
    assert {n: (s and (s.outcome, s.corpus_id)) for n, s in kept.items()} == {
        2: ("corpus", 2),
        3: (None, None),
        5: (None, None),
    }
    assert CrawlState.forget_corpus_ids_above(settings, None) == 1


def test_the_sqlite_check_refuses_a_file_that_is_no_database(tmp_path: Path) -> None:
    settings = Settings({"DATA_DIR": str(tmp_path)})
    CrawlState.check_state(settings)  # no state yet: nothing to refuse
    (tmp_path / "state.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StateUnusable, match="state.sqlite: file is not a database"):
        CrawlState.check_state(settings)


def test_the_redis_store_checks_and_forgets_nothing_without_reaching_redis() -> None:
    settings = Settings({"REDIS_URL": "redis://127.0.0.1:9/0"})  # nothing listens there
    RedisCrawlState.check_state(settings)
    assert RedisCrawlState.forget_corpus_ids_above(settings, 3) == 0


def test_scrapy_crawl_checks_the_configured_store(tmp_path: Path) -> None:
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(STORY))
        result = crawl(tmp_path, sources, {"CRAWL_STATE_STORE": f"{__name__}.RefusingStore"})
        asked = server.paths()
    assert result.returncode == exitcodes.CONFIG, result.log
    assert "error: the refusing store: refused; move it away" in result.log
    assert asked == []


def test_scrapy_crawl_asks_the_configured_store_to_forget(tmp_path: Path) -> None:
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(STORY))
        result = crawl(tmp_path, sources, {"CRAWL_STATE_STORE": f"{__name__}.ForgettingStore"})
    assert result.returncode == exitcodes.OK, result.log
    assert "2 URL(s) were recorded as written to corpus ids past none" in result.log
