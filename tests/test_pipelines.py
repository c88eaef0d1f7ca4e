"""The item pipelines in-process: extraction in its pool, the filter and the corpus, in order."""

from __future__ import annotations

import asyncio
import inspect
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider, signals
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler

from corpus.lookup import LOOKUP
from corpus.options import ExtractionOptions
from corpus.store import read_manifest
from scraper.failures import WRITE_FAILED_STAT
from scraper.items import PageItem
from scraper.pipelines import (
    WORKERS_REPLACED_STAT,
    CorpusPipeline,
    ExtractionPipeline,
    FilterPipeline,
    extract_for_corpus,
)
from scraper.signals import article_filtered
from sitefixture import pages
from sitefixture.inprocess import project_crawler
from sitefixture.text import paragraphs

BASE = "https://a.example"
SOURCES = f"""[[source]]
name = "a"
url = "{BASE}/"
keywords = [["Venezuela", "Caracas", "Maduro"]]
"""


def page(number: int, seed: str, on_topic: bool = True, encoding: str = "utf-8") -> PageItem:
    """Item ``number``: an article page of the fixture site written from ``seed``."""
    path = f"/2026/11/30/story-{number}"
    article = pages.FixtureArticle(
        path, f"Story {seed}", paragraphs(seed, on_topic), "2026-11-30T09:00:00Z"
    )
    html = pages.article_html(article, BASE, [])
    return PageItem(
        url=BASE + path,
        source="a",
        fetched_at="2026-11-30T12:00:00Z",
        warc={"filename": "a.warc.gz", "offset": number},
        body=html.encode(),
        encoding=encoding,
        requested_url=BASE + path,
        sequence=number,
    )


def test_the_workers_task_imports_neither_scrapy_nor_twisted() -> None:
    """Each pool worker imports the module of the function it is handed: when that module
    pulls in Scrapy and Twisted, every worker holds its own copy of them (about 25 MiB)."""
    module = extract_for_corpus.__module__  # what ExtractionPipeline submits for a live page
    packing = "archive.exchange"  # what archive_and_extract imports there
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {module}, {packing}; print(*sys.modules, sep=chr(10))",
        ],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [name for name in loaded.split() if name.split(".")[0] in ("scrapy", "twisted")] == []


def test_items_are_extracted_judged_and_stored_in_the_order_they_were_yielded(
    tmp_path: Path,
) -> None:
    crawler = project_crawler(Spider, SOURCES, tmp_path, EXTRACTION_PROCESSES=2)
    corpus = build_from_crawler(CorpusPipeline, crawler)
    chain: list[Any] = [
        build_from_crawler(ExtractionPipeline, crawler),
        build_from_crawler(FilterPipeline, crawler),
        corpus,
    ]
    filtered: list[tuple[str, str, str]] = []

    def hear(source: str, reason: str, url: str) -> None:
        filtered.append((source, reason, url))

    crawler.signals.connect(hear, signal=article_filtered)
    items = [
        page(0, "first"),
        page(1, "sport", on_topic=False),
        page(2, "second"),
        page(3, "broken", encoding="no-such-codec"),  # the extractor raises on it
        page(4, "first"),  # the text of item 0 again, under another URL
        page(5, "third"),
    ]
    outcomes: dict[int, str] = {}

    async def through(item: PageItem) -> None:
        """Run the pipelines on ``item`` and tell its end, as Scrapy's scraper does."""
        try:
            for pipeline in chain:
                made = pipeline.process_item(item)  # a coroutine or the item, as Scrapy allows
                item = await made if inspect.isawaitable(made) else made
        except DropItem:
            crawler.signals.send_catch_log(signals.item_dropped, item=item)
        else:
            crawler.signals.send_catch_log(signals.item_scraped, item=item)
        assert item.sequence is not None
        outcomes[item.sequence] = item.outcome or ""

    async def run_pipelines() -> None:
        # Extraction finishes in any order; the last items are handed in first.
        await asyncio.wait_for(asyncio.gather(*(through(item) for item in reversed(items))), 60)

    opened = [pipeline for pipeline in chain if hasattr(pipeline, "open_spider")]
    for pipeline in opened:
        pipeline.open_spider()
    try:
        asyncio.run(run_pipelines())
    finally:
        for pipeline in opened:
            closed = pipeline.close_spider()  # a coroutine or None, as Scrapy allows
            if inspect.isawaitable(closed):
                asyncio.run(closed)
    stats: dict[str, Any] = crawler.stats.get_stats()
    assert {k: v for k, v in stats.items() if k.startswith("news/a/")} == {
        "news/a/written": 3,
        "news/a/filtered/off-topic": 1,
        "news/a/errors/extraction": 1,
        "news/a/filtered/near-duplicate": 1,
    }
    assert outcomes == {
        0: "corpus",
        1: "filtered:off-topic",
        2: "corpus",
        3: "filtered:extraction_failed",
        4: "corpus",  # settled: the kept article 0 holds its URL
        5: "corpus",
    }
    assert sorted(filtered) == [
        ("a", "near-duplicate", f"{BASE}/2026/11/30/story-4"),
        ("a", "off-topic", f"{BASE}/2026/11/30/story-1"),
    ]
    manifest = (tmp_path / "data" / "corpus" / "index.jsonl").read_text().splitlines()
    lines = [json.loads(line) for line in manifest]
    # Each change of an entry adds its new line: item 4's URL noted on entry 0 comes before 5.
    assert [(line["id"], line["url"]) for line in lines] == [
        (0, f"{BASE}/2026/11/30/story-0"),
        (1, f"{BASE}/2026/11/30/story-2"),
        (0, f"{BASE}/2026/11/30/story-0"),
        (2, f"{BASE}/2026/11/30/story-5"),
    ]
    assert lines[2]["duplicates"] == [f"{BASE}/2026/11/30/story-4"]
    assert lines[1]["warc"] == {"filename": "a.warc.gz", "offset": 2}
    assert corpus.order.next == len(items) and corpus.order.pending == 0


def test_a_copy_left_out_is_committed_to_the_corpus_lookup_index(tmp_path: Path) -> None:
    """The manifest line noting a copy's URL is indexed for good, not read again by every
    later transaction (which made a crawl of many copies quadratic)."""
    crawler = project_crawler(Spider, SOURCES, tmp_path)
    corpus = build_from_crawler(CorpusPipeline, crawler)
    items = [page(0, "first"), page(1, "first"), page(2, "first")]
    for item in items:
        item.sequence = None
        item.article = extract_for_corpus(item.body, item.url, item.encoding, ExtractionOptions())
    folder = tmp_path / "data" / "corpus"
    corpus.open_spider()
    try:
        asyncio.run(corpus.process_item(items[0]))
        for copy in items[1:]:
            with pytest.raises(DropItem, match="near-duplicate"):
                asyncio.run(corpus.process_item(copy))
        lookup = sqlite3.connect(folder / LOOKUP)  # what another process sees: what was committed
        try:
            covered = lookup.execute("SELECT bytes, lines FROM covered").fetchone()
        finally:
            lookup.close()
    finally:
        corpus.close_spider()
    assert covered == ((folder / "index.jsonl").stat().st_size, 3)
    assert list(read_manifest(folder))[-1]["duplicates"] == [items[1].url, items[2].url]


@pytest.mark.parametrize("megabytes", [3, 0])
def test_the_extraction_pool_replaces_workers_grown_past_the_setting(
    tmp_path: Path, megabytes: int
) -> None:
    crawler = project_crawler(Spider, SOURCES, tmp_path, EXTRACTION_WORKER_GROWTH_MB=megabytes)
    pipeline = build_from_crawler(ExtractionPipeline, crawler)
    pipeline.open_spider()
    assert pipeline.pool is not None
    try:
        assert pipeline.pool.max_growth == megabytes * 1024 * 1024
        pipeline.pool.replaced(5 * 1024 * 1024)  # as the pool tells it
        assert crawler.stats.get_value(WORKERS_REPLACED_STAT) == 1
    finally:
        pipeline.pool.shutdown()


def test_a_corpus_that_cannot_be_opened_stops_the_crawl_as_a_failed_write(tmp_path: Path) -> None:
    """The disk may fill between the command's check and the spider's opening: no traceback
    out of ``open_spider``, but the crawl's write failure, and no item counted as written."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "corpus").write_text("a file where the corpus folder goes")
    crawler = project_crawler(Spider, SOURCES, tmp_path)
    corpus = build_from_crawler(CorpusPipeline, crawler)
    corpus.open_spider()
    assert crawler.stats.get_value(WRITE_FAILED_STAT, "").startswith(str(tmp_path / "data"))
    item = page(0, "first")
    item.article = extract_for_corpus(item.body, item.url, item.encoding, ExtractionOptions())
    with pytest.raises(DropItem, match="not written"):
        asyncio.run(corpus.process_item(item))
    assert item.outcome is None
    assert crawler.stats.get_value("news/a/errors/write") == 1
    corpus.close_spider()
