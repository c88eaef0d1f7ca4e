"""``scrapy replay``: the corpus rebuilt from the archive alone is the live crawl's, byte for byte."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from archive.pages import iter_pages
from corpus.store import read_manifest
from scraper import exitcodes
from sitefixture import FixtureServer
from sitefixture.news import build_news_site
from sitefixture.scrapyrun import run_scrapy, run_signalled
from sitefixture.wget import wget_archive
from tests.conftest import TEST_SETTINGS, ServedSite, crawl


def replay(workdir: Path, *args: str) -> tuple[int, str]:
    settings = {
        **TEST_SETTINGS,
        "SOURCES_FILE": str(workdir / "sources.toml"),
        "DATA_DIR": str(workdir / "data"),
    }
    done = run_scrapy(["replay", *args], workdir, settings)
    return done.returncode, done.stdout + done.stderr


def corpus_bytes(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


def test_replay_with_the_site_gone_rebuilds_the_same_corpus(tmp_path: Path) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        live = crawl(tmp_path, site.source_toml(server.base_url))
    assert live.returncode == 0, live.log
    code, log = replay(
        tmp_path, "-s", "REPORT_ENABLED=True"
    )  # both servers are stopped: any fetch would fail
    assert code == 0, log
    assert (
        "Report:" not in log and not (tmp_path / "data" / "report.html").exists()
    )  # the live crawl's
    assert "downloader/request_count" not in log
    rebuilt = tmp_path / "data" / "corpus-replay"
    assert len(live.manifest()) == 8
    assert corpus_bytes(rebuilt) == corpus_bytes(live.corpus)
    assert "fixture: discovered 0 (0 known), fetched 21" in log and "written 8" in log
    empty = live.archive / "z-empty.warc.gz"
    empty.write_bytes(b"")
    code, log = replay(tmp_path, "--corpus", str(tmp_path / "again"))
    assert code == 1 and log.count(f"{empty}: empty (0 bytes): no record; left out") == 1, log


def test_replay_after_recrawls_resolves_revisits(news_site: ServedSite, tmp_path: Path) -> None:
    _, second = news_site.recrawled(tmp_path)
    code, log = replay(tmp_path)
    assert code == 0, log
    assert corpus_bytes(tmp_path / "data" / "corpus-replay") == corpus_bytes(second.corpus)
    assert [
        entry["version"]
        for entry in second.manifest()
        if entry["url"].endswith(news_site.site.articles["a1"].path)
    ] == [1, 2]


def test_replay_refuses_to_overwrite_a_corpus(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n')
    code, log = replay(tmp_path)
    assert code == 2 and f"no archive at {tmp_path / 'data' / 'archive'}" in log
    (tmp_path / "data" / "archive").mkdir(parents=True)
    code, log = replay(tmp_path)
    assert code == 2 and "holds no finished WARC file" in log
    (tmp_path / "data" / "archive" / "x.warc.gz").write_bytes(b"")
    code, log = replay(tmp_path)  # an empty file is no WARC file: the refusal says so, once
    empty = tmp_path / "data" / "archive" / "x.warc.gz"
    assert code == 2 and log.count(f"{empty}: empty (0 bytes): no record") == 1, log
    assert f"holds no finished WARC file (*.warc.gz, *.warc); {empty}: empty (0 bytes)" in log
    (tmp_path / "data" / "archive" / "x.warc.gz").write_bytes(b"WARC/1.1\r\n")
    (tmp_path / "data" / "corpus").mkdir()
    (tmp_path / "data" / "corpus" / "index.jsonl").write_text("")
    code, log = replay(tmp_path, "--corpus", str(tmp_path / "data" / "corpus"))
    assert code == 2 and "already holds a corpus; replay writes a new one" in log


def test_replay_of_a_wget_archive(news_site: ServedSite, tmp_path: Path) -> None:
    """wget, a third-party WARC writer, stores chunked bodies as they came and says nothing of sources."""
    (tmp_path / "sources.toml").write_text(news_site.site.source_toml(news_site.server.base_url))
    archive = wget_archive(news_site.url("/"), tmp_path / "wget").parent
    code, log = replay(tmp_path, "--archive", str(archive))
    assert code == 0, log
    stored = {
        entry["url"].removeprefix(news_site.server.base_url)
        for entry in read_manifest(tmp_path / "data" / "corpus-replay")
    }
    chunked = news_site.site.articles["a3"].path  # served chunked, archived chunked by wget
    assert chunked in stored and len(stored) >= 5
    assert stored <= set(news_site.site.corpus_paths)


def test_replay_reads_around_damage_in_a_warc_file(tmp_path: Path) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        live = crawl(tmp_path, site.source_toml(server.base_url))
    [warc] = live.warc_files()
    data = warc.read_bytes()
    middle = len(data) // 2
    warc.write_bytes(data[:middle] + b"\x00 disk error \xff" * 64 + data[middle:])
    code, log = replay(tmp_path)
    assert code == exitcodes.PARTIAL, log  # what the damage held is lost: the run says so
    assert "archive: 1 error(s): WARC data damaged" in log
    assert "Exit code 1: partial (archive)" in log
    assert (
        f"{warc}: bytes " in log
        and "hold no whole WARC record (damaged or cut short); left out" in log
    )
    rebuilt = list(read_manifest(tmp_path / "data" / "corpus-replay"))
    assert (
        len(live.manifest()) - 1 <= len(rebuilt) <= len(live.manifest())
    )  # one record at most is lost


def _filtered(log: str) -> str:
    line = next(line for line in log.splitlines() if line.strip().startswith("fixture: "))
    return line[line.index("filtered ") : line.index(", errors")]


def test_replay_filters_what_the_live_crawl_filtered(news_site: ServedSite, tmp_path: Path) -> None:
    live = crawl(tmp_path, news_site.site.source_toml(news_site.server.base_url))
    code, log = replay(tmp_path)
    assert code == 0, log
    # robots.txt is archived as robots of its source: the replay does not judge it as an article.
    assert _filtered(log) == _filtered(live.log), log
    assert "not-html" not in log


def test_a_replay_stopped_while_its_items_are_extracted_finishes_them_and_exits(
    news_site: ServedSite, tmp_path: Path
) -> None:
    """Scrapy never looked again whether items of start() were through: it waited forever."""
    live = crawl(tmp_path, news_site.site.source_toml(news_site.server.base_url))
    assert live.returncode == 0, live.log
    settings = {
        **TEST_SETTINGS,
        "SOURCES_FILE": str(tmp_path / "sources.toml"),
        "DATA_DIR": str(tmp_path / "data"),
        "EXTRACTION_PROCESSES": "1",
    }
    # Logged once every item is yielded, while the pool's worker is still starting.
    code, log = run_signalled(
        ["replay"], tmp_path, settings, [("Replay: read", signal.SIGINT)], timeout=30
    )
    assert code == exitcodes.INTERRUPTED, log
    waited = re.search(r"and (\d+) page\(s\) in extraction and storage", log)
    assert waited and int(waited.group(1)) > 0, log
    assert "written 8" in log, log


def test_replay_in_place_adds_what_passes_the_current_filters(
    news_site: ServedSite, tmp_path: Path
) -> None:
    narrow = news_site.site.source_toml(news_site.server.base_url)
    live = crawl(tmp_path, narrow)
    assert "filtered listing:1 off-topic:2" in live.log, live.log
    before = corpus_bytes(live.corpus)
    (tmp_path / "sources.toml").write_text(
        "\n".join(line for line in narrow.splitlines() if not line.startswith("keywords"))
    )
    asked = len(news_site.server.paths())
    code, log = replay(tmp_path, "--in-place")
    assert code == 0, log
    assert "Judged 3 archived article(s) again: 2 added to " in log
    assert "fixture: discovered 0 (8 known)" in log and "written 2," in log
    assert len(news_site.server.paths()) == asked  # from the archive alone
    manifest = live.manifest()
    assert [entry["id"] for entry in manifest] == list(range(10))
    after = corpus_bytes(live.corpus)
    articles = [name for name in before if name.endswith(".txt")]
    assert len(articles) == 8 and {name: after[name] for name in articles} == {
        name: before[name] for name in articles
    }
    assert after["index.jsonl"].startswith(before["index.jsonl"])
    code, log = replay(tmp_path, "--in-place")
    assert code == 0 and "Judged 1 archived article(s) again: 0 added to " in log, log
    # The crawl state knows: the next crawl asks for none of the articles again.
    again = crawl(tmp_path, (tmp_path / "sources.toml").read_text())
    assert "written 0," in again.log and "filtered -," in again.log, again.log
    assert len(again.manifest()) == 10


def _read_by_workers(log: str) -> int:
    return int(log.split(" of them read from the archive by the extraction workers")[0].split()[-1])


def test_replay_of_a_multi_file_archive_by_its_index_is_the_whole_read_replay(
    tmp_path: Path,
) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        live = crawl(tmp_path, site.source_toml(server.base_url), {"WARC_MAX_SIZE": "8000"})
    assert live.returncode == 0, live.log
    assert len(live.warc_files()) >= 3
    code, log = replay(tmp_path)  # walked by the CDXJ indexes, payloads read by the workers
    assert code == 0, log
    assert _read_by_workers(log) == len(live.manifest()) + 3  # + 1 listing, 2 off-topic
    for warc in live.warc_files():  # indexes older than their file: read whole, as before
        warc.touch()
    code, log = replay(tmp_path, "--corpus", str(tmp_path / "whole"))
    assert code == 0, log
    assert _read_by_workers(log) == 0
    by_index = corpus_bytes(tmp_path / "data" / "corpus-replay")
    assert by_index == corpus_bytes(tmp_path / "whole") == corpus_bytes(live.corpus)


def test_replay_writes_the_corpus_in_archive_order_when_workers_finish_out_of_order(
    tmp_path: Path,
) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        slow = site.routes[site.articles["a1"].path]  # 0.8 s to extract, against 4 ms for the rest
        more = b"".join(b"<p>Paragraph %d on Venezuela and Russia.</p>" % n for n in range(3000))
        slow.body = slow.body.replace(b"</article>", more + b"</article>", 1)
        server.routes.update(site.routes)
        live = crawl(tmp_path, site.source_toml(server.base_url))
    assert live.returncode == 0, live.log
    archived = [
        page.url
        for page in iter_pages(live.warc_files())
        if page.context.kind == "article" and page.status == 200
    ]
    stored = [entry["url"] for entry in live.manifest()]
    slow_url = next(url for url in stored if url.endswith(site.articles["a1"].path))
    assert archived.index(slow_url) < archived.index(stored[-1])  # pages after it finish first
    code, log = replay(tmp_path)
    assert code == 0, log
    assert _read_by_workers(log) > 0
    replayed = [entry["url"] for entry in read_manifest(tmp_path / "data" / "corpus-replay")]
    assert replayed == [url for url in archived if url in set(stored)]
    assert corpus_bytes(tmp_path / "data" / "corpus-replay") == corpus_bytes(live.corpus)
