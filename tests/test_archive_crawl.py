"""``REPLAY_ARCHIVE``: ``scrapy crawl news`` answered by the archive, with the sites gone."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from archive.lookup import CaptureIndex
from sitefixture import FixtureServer, pages
from sitefixture.news import build_news_site
from sitefixture.scrapyrun import CrawlResult
from tests.conftest import ServedSite, crawl


def items(result: CrawlResult) -> dict[str, tuple]:
    """What the corpus says of each article, by URL; leaves out when and where it was written."""
    return {
        entry["url"]: (
            entry["title"],
            entry["authors"],
            entry["published"],
            entry["words"],
            entry["sha1"],
        )
        for entry in result.manifest()
    }


def from_archive(workdir: Path, archive: Path, sources: str, **settings: str) -> CrawlResult:
    return crawl(workdir, sources, {"REPLAY_ARCHIVE": str(archive), **settings})


def test_a_crawl_from_the_archive_finds_what_the_live_crawl_found(tmp_path: Path) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        sources = site.source_toml(server.base_url)
        live = crawl(tmp_path / "live", sources)
    assert live.returncode == 0, live.log
    offline = from_archive(tmp_path / "offline", live.archive, sources)  # both servers are stopped
    assert offline.returncode == 0, offline.log
    assert items(offline) == items(live) and len(items(live)) == 8
    assert "'archive_replay/found'" in offline.log and "'archive_replay/missing'" not in offline.log
    assert not offline.archive.exists()  # nothing is archived twice


def test_an_article_the_live_crawl_cut_at_its_size_limit_is_left_out_again(
    tmp_path: Path,
) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        article = site.articles["a1"]
        article.paragraphs = article.paragraphs * 40
        page = pages.article_html(article, server.base_url, []).encode()
        site.routes[article.path] = replace(site.routes[article.path], body=page)
        server.routes.update(site.routes)
        sources = site.source_toml(server.base_url)
        live = crawl(tmp_path / "live", sources, {"DOWNLOAD_MAXSIZE": str(len(page) // 2)})
    assert live.returncode == 0, live.log
    assert "'news/fixture/filtered/truncated': 1," in live.log
    offline = from_archive(tmp_path / "offline", live.archive, sources)
    assert offline.returncode == 0, offline.log
    assert "'news/fixture/filtered/truncated': 1," in offline.log
    assert items(offline) == items(live) and len(items(live)) == 7


def test_after_recrawls_the_archive_answers_with_the_latest_capture(
    news_site: ServedSite, tmp_path: Path
) -> None:
    sources, second = news_site.recrawled(tmp_path / "live")
    offline = from_archive(tmp_path / "offline", second.archive, sources)
    assert offline.returncode == 0, offline.log
    texts = {entry["url"]: entry["sha1"] for entry in offline.manifest()}
    latest = {
        entry["url"]: entry["sha1"] for entry in second.manifest()
    }  # later versions overwrite earlier ones
    assert texts == latest and len(texts) == 8


def test_a_url_the_archive_lacks_gets_a_404(news_site: ServedSite, tmp_path: Path) -> None:
    live = crawl(tmp_path / "live", news_site.site.source_toml(news_site.server.base_url))
    unknown = '[[source]]\nname = "elsewhere"\nurl = "http://127.0.0.3:9/"\n'
    offline = from_archive(tmp_path / "offline", live.archive, unknown)
    assert offline.returncode == 3, (
        offline.log
    )  # nothing worked: the archive holds none of its pages
    assert (
        "'archive_replay/missing'" in offline.log
        and "'downloader/response_status_count/404'" in offline.log
    )
    assert "not in the archive and got a 404" in offline.log
    assert offline.manifest() == []


def test_a_crawl_from_the_archive_refuses_a_missing_archive_or_a_used_corpus(
    tmp_path: Path,
) -> None:
    sources = '[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n'
    missing = from_archive(tmp_path, tmp_path / "nowhere", sources)
    assert (
        missing.returncode == 2
        and f"REPLAY_ARCHIVE: no archive at {tmp_path / 'nowhere'}" in missing.log
    )
    (tmp_path / "data" / "corpus").mkdir(parents=True)
    (tmp_path / "data" / "corpus" / "index.jsonl").write_text("")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x.warc.gz").write_bytes(b"WARC/1.1\r\n")
    used = from_archive(tmp_path, tmp_path / "old", sources)
    assert (
        used.returncode == 2
        and "already holds a corpus; a crawl from the archive writes a new one" in used.log
    )


def test_a_capture_lost_to_a_file_cut_short_is_named_and_the_crawl_ends(
    news_site: ServedSite, tmp_path: Path
) -> None:
    """The index, as fresh as the file (a restore that kept its mtime), points past its end:
    the lookup raised StopIteration into the download's future, which never resolved."""
    sources = news_site.site.source_toml(news_site.server.base_url)
    live = crawl(tmp_path / "live", sources)
    assert live.returncode == 0, live.log
    url = news_site.url(news_site.site.articles["a1"].path)
    capture = CaptureIndex(live.archive).captures(url)[-1].fields
    warc = live.archive / capture["filename"]
    kept = warc.stat()
    with warc.open("r+b") as file:
        file.truncate(int(capture["offset"]))
    os.utime(warc, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    offline = from_archive(tmp_path / "offline", live.archive, sources)
    assert offline.returncode == 1, offline.log
    assert (
        f"{warc} at offset {capture['offset']}: no record: the file ends before it" in offline.log
    )
    assert url not in {entry["url"] for entry in offline.manifest()}
