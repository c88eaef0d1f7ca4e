"""The crawl report: figures gathered from the run history and the manifest, and the page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from corpus.store import ManifestError
from scraper.report.charts import stacked_bars
from scraper.report.data import SourceInfo, gather
from scraper.report.page import render
from scraper.state import CrawlState
from sitefixture.scrapyrun import run_scrapy

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'


def entry(number: int, source: str, fetched_at: str, **fields: Any) -> dict[str, Any]:
    url = f"http://127.0.0.1/{source}/{number}"
    return {
        "id": number,
        "file": f"{number:03d}_0000000000000000.txt",
        "url": url,
        "canonical_url": url,
        "source": source,
        "title": f"Story {number}",
        "published": fetched_at[:10],
        "language": "en",
        "fetched_at": fetched_at,
        "words": 100,
        "version": 1,
        **fields,
    }


def write_manifest(corpus: Path, entries: list[dict[str, Any]], torn: str = "") -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(e) + "\n" for e in entries) + torn
    (corpus / "index.jsonl").write_text(text, encoding="utf-8")


def test_the_manifest_counts_each_article_once_at_its_last_version(tmp_path: Path) -> None:
    write_manifest(
        tmp_path,
        [
            entry(0, "alpha", "2026-11-29T10:00:00Z", language="es", words=300),
            entry(1, "alpha", "2026-11-30T09:00:00Z", words=200),
            entry(2, "beta", "2026-10-01T09:00:00Z", words=50),  # before the period
            entry(
                1, "alpha", "2026-11-30T09:00:00Z", words=200, duplicates=["http://127.0.0.1/copy"]
            ),
            entry(0, "alpha", "2026-11-30T11:00:00Z", language="es", words=350, version=2),
        ],
        torn='{"id": 3, "source": "alpha", "wor',
    )
    report = gather(
        tmp_path, None, [SourceInfo("alpha", "http://127.0.0.1/")], now=NOW, days=7, latest=2
    )
    assert (report.articles, report.words) == (3, 600)
    assert report.languages == {"es": 1, "en": 2}
    assert report.per_day == {"alpha": {"2026-11-29": 1, "2026-11-30": 1}}
    assert report.days[0] == "2026-11-24" and report.days[-1] == "2026-11-30"
    assert [(a.id, a.words, a.fetched_at) for a in report.latest] == [
        (0, 350, "2026-11-30T11:00:00Z"),
        (1, 200, "2026-11-30T09:00:00Z"),
    ]
    alpha, beta = report.sources["alpha"], report.sources["beta"]
    assert (alpha.configured, alpha.articles, alpha.words) == (True, 2, 550)
    assert (beta.configured, beta.articles, beta.words) == (False, 1, 50)


def test_the_latest_articles_survive_a_long_stream(tmp_path: Path) -> None:
    entries = [
        entry(n, "alpha", f"2026-11-{1 + n % 29:02d}T{n % 24:02d}:00:00Z") for n in range(500)
    ]
    write_manifest(tmp_path, entries)
    report = gather(tmp_path, None, [], now=NOW, latest=5)
    expected = sorted(entries, key=lambda e: e["fetched_at"], reverse=True)[:5]
    assert sorted(a.fetched_at for a in report.latest) == sorted(e["fetched_at"] for e in expected)


def test_one_source_only(tmp_path: Path) -> None:
    write_manifest(
        tmp_path,
        [entry(0, "alpha", "2026-11-30T09:00:00Z"), entry(1, "beta", "2026-11-30T09:00:00Z")],
    )
    report = gather(
        tmp_path, None, [SourceInfo("alpha"), SourceInfo("beta")], now=NOW, only={"beta"}
    )
    assert (
        list(report.sources) == ["beta"]
        and report.articles == 1
        and [a.id for a in report.latest] == [1]
    )


def run(written: int, status: dict[str, int], **more: Any) -> dict[str, Any]:
    return {
        "discovered": 10,
        "known": 2,
        "fetched": sum(status.values()),
        "status": status,
        "written": written,
        "updated": 0,
        "filtered": {},
        "errors": 0,
        **more,
    }


def test_runs_of_the_period_are_added_up_with_their_examples(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "state.sqlite")
    state.record_run("2026-10-01T00:00:00+00:00", "alpha", run(9, {"200": 9}))  # before the period
    # A run recorded before examples were kept: no "examples" key.
    state.record_run(
        "2026-11-28T00:00:00+00:00", "alpha", run(2, {"200": 5}, filtered={"off-topic": 4})
    )
    state.record_run(
        "2026-11-29T00:00:00+00:00",
        "alpha",
        run(
            1,
            {"200": 4, "304": 2},
            filtered={"off-topic": 2, "empty": 1},
            errors=1,
            examples={
                "off-topic": ["http://127.0.0.1/a", "http://127.0.0.1/b"],
                "empty": ["http://127.0.0.1/e"],
            },
        ),
    )
    state.record_run(
        "2026-11-30T00:00:00+00:00",
        "alpha",
        run(
            3,
            {"200": 3},
            filtered={"off-topic": 2},
            examples={"off-topic": ["http://127.0.0.1/c", "http://127.0.0.1/a"]},
        ),
    )
    report = gather(
        tmp_path / "corpus", state, [SourceInfo("alpha"), SourceInfo("idle")], now=NOW, days=7
    )
    alpha = report.sources["alpha"]
    assert (alpha.last_run, alpha.runs, alpha.written, alpha.fetched) == (
        "2026-11-30T00:00:00+00:00",
        3,
        6,
        14,
    )
    assert alpha.status == {"200": 12, "304": 2}
    assert alpha.filtered == {"off-topic": 8, "empty": 1} and alpha.errors == 1
    assert alpha.examples == {
        "off-topic": ["http://127.0.0.1/c", "http://127.0.0.1/a", "http://127.0.0.1/b"],
        "empty": ["http://127.0.0.1/e"],
    }
    assert alpha.attention == []
    assert report.sources["idle"].last_run is None and report.sources["idle"].runs == 0


def test_the_verdict_is_the_crawls(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "state.sqlite")
    state.record_run("2026-11-30T00:00:00+00:00", "walled", run(0, {"200": 2, "403": 6}))
    state.record_run("2026-11-01T00:00:00+00:00", "gone", run(4, {"200": 9}))
    for day in range(25, 30):
        state.record_run(f"2026-11-{day}T00:00:00+00:00", "idle", run(0, {"200": 9}))
    report = gather(
        tmp_path,
        state,
        [SourceInfo(n) for n in ("walled", "gone", "idle")],
        now=NOW,
        days=7,
        idle_runs=5,
    )
    assert report.sources["walled"].attention == ["6 of 8 responses were 403, 429 or 5xx"]
    assert report.sources["gone"].attention == ["no run since 2026-11-01"]
    assert report.sources["idle"].attention == ["no new article in 5 runs in a row"]


class _Page(HTMLParser):
    """The elements, links and text of a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [value or "" for name, value in attrs if name == "href"]
        if any(name.startswith("on") for name, _ in attrs):
            self.tags.append("HANDLER")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_hostile_headlines_and_urls_stay_text(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "state.sqlite")
    state.record_run(
        "2026-11-30T00:00:00+00:00",
        HOSTILE,
        run(
            1,
            {"200": 1},
            filtered={HOSTILE: 1},
            examples={
                HOSTILE: [
                    'http://127.0.0.1/x"><script>window.pwned=1</script>',
                    "javascript:window.pwned=1",
                ]
            },
        ),
    )
    write_manifest(
        tmp_path / "corpus",
        [
            entry(0, HOSTILE, "2026-11-30T09:00:00Z", title=HOSTILE, language=HOSTILE),
            entry(
                1, "alpha", "2026-11-30T09:00:00Z", url="javascript:window.pwned=1", title="Link"
            ),
        ],
    )
    report = gather(
        tmp_path / "corpus", state, [SourceInfo(HOSTILE, "javascript:alert(1)")], now=NOW
    )
    page = parse(render(report, "http://127.0.0.1:8080"))
    assert "script" not in page.tags and "img" not in page.tags and "HANDLER" not in page.tags
    assert all(link.startswith("http://127.0.0.1") for link in page.links), page.links
    assert HOSTILE in "".join(page.text)  # shown as the text it is
    assert 'http://127.0.0.1/x"><script>window.pwned=1</script>' in page.links


def test_the_archived_link_points_into_the_served_collection(tmp_path: Path) -> None:
    write_manifest(
        tmp_path, [entry(0, "alpha", "2026-11-30T09:08:07Z", url="http://127.0.0.1:81/a?b=1&c=2")]
    )
    html = render(gather(tmp_path, None, [], now=NOW), "http://127.0.0.1:8080/")
    assert parse(html).links[-2:] == [
        "http://127.0.0.1:81/a?b=1&c=2",
        "http://127.0.0.1:8080/news/20261130090807/http://127.0.0.1:81/a?b=1&c=2",
    ]


def test_the_page_loads_nothing_and_runs_nothing(tmp_path: Path) -> None:
    write_manifest(tmp_path, [entry(0, "alpha", "2026-11-30T09:00:00Z")])
    html = render(gather(tmp_path, None, [SourceInfo("alpha")], now=NOW), "http://127.0.0.1:8080")
    tags = parse(html).tags
    assert not {"script", "link", "iframe", "object", "img"} & set(tags)
    assert tags.count("svg") == 2
    assert re.search(r"Content-Security-Policy\" content=\"default-src 'none'", html)


def test_bars_are_stacked_in_proportion() -> None:
    svg = stacked_bars(
        ["2026-11-29", "2026-11-30"],
        {"a": {"2026-11-29": 2, "2026-11-30": 4}, "b": {"2026-11-30": 4}},
        ["#111", "#222"],
    )
    bars = re.findall(
        r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="(#\d+)"', svg
    )
    heights = [(fill, float(height)) for _, height, fill in bars]
    assert [fill for fill, _ in heights] == ["#111", "#111", "#222"]
    assert heights[1][1] == heights[2][1] == 2 * heights[0][1]
    assert heights[1][1] + heights[2][1] == 172.0  # the peak, 8, is the whole plot's height


def test_gathering_and_rendering_need_no_scrapy() -> None:
    code = "import sys, scraper.report.data, scraper.report.page; print('scrapy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_command_writes_the_report_or_says_why_not(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nname = "alpha"\nurl = "http://127.0.0.1:9/"\n'
    )
    settings = {"DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "data").mkdir()  # made by `scrapy crawl`; a DATA_DIR that is not there is refused
    done = run_scrapy(["report"], tmp_path, settings)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"Report written to {tmp_path / 'data' / 'report.html'}: 1 sources"
    )
    assert "never crawled" in (tmp_path / "data" / "report.html").read_text()
    done = run_scrapy(["report", "-a", "source=beta"], tmp_path, settings)
    assert done.returncode == 2 and "error: unknown source(s): beta" in done.stderr
    for days in ("0", "99999999"):
        done = run_scrapy(["report", "--days", days], tmp_path, settings)
        assert done.returncode == 2 and f"--days must be from 1 to 3660, not {days}" in done.stderr
    done = run_scrapy(["report"], tmp_path, {**settings, "REPORT_DAYS": "0"})
    assert done.returncode == 2
    assert "setting REPORT_DAYS: 0 is out of range (from 1 to 3660)" in done.stderr
    (tmp_path / "file").write_text("")
    done = run_scrapy(
        ["report", "--output", str(tmp_path / "file" / "report.html")], tmp_path, settings
    )
    assert done.returncode == 74
    assert f"error: report not written to {tmp_path / 'file' / 'report.html'}: " in done.stderr


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"words": "many"}, "field 'words' is a string, not an integer"),
        ({"words": 1e400}, "field 'words' is a number with a fraction, not an integer"),
        ({"words": True}, "field 'words' is true or false, not an integer"),
        ({"fetched_at": 12}, "field 'fetched_at' is an integer, not a string"),
        ({"source": ["x"]}, "field 'source' is an array, not a string"),
        ({"language": 5}, "field 'language' is an integer, not a string or null"),
    ],
)
def test_a_manifest_line_with_a_field_of_the_wrong_type_is_named(
    tmp_path: Path, fields: dict[str, Any], said: str
) -> None:
    good = entry(0, "alpha", "2026-11-29T10:00:00Z")
    wrong = {**entry(1, "alpha", "2026-11-29T10:00:00Z"), **fields}
    write_manifest(tmp_path, [good, wrong, good])
    with pytest.raises(ManifestError) as raised:
        gather(tmp_path, None, [], now=NOW, days=7, latest=2)
    assert str(raised.value) == f"{tmp_path / 'index.jsonl'} line 2: {said}"


def test_a_manifest_line_without_the_fields_of_an_entry_is_named(tmp_path: Path) -> None:
    good = entry(0, "alpha", "2026-11-29T10:00:00Z")
    write_manifest(tmp_path, [good, {"id": 5}, good])
    with pytest.raises(ManifestError, match="line 2: field 'file' missing or not a str"):
        gather(tmp_path, None, [], now=NOW, days=7, latest=2)


def test_a_manifest_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    (tmp_path / "index.jsonl").mkdir()
    with pytest.raises(ManifestError) as raised:
        gather(tmp_path, None, [], now=NOW, days=7, latest=2)
    assert str(raised.value) == f"{tmp_path / 'index.jsonl'}: cannot be read: Is a directory"
