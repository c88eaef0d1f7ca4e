"""End to end: crawl the fixture news site through a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from corpus.urls import canonicalize, url_hash
from tests.conftest import CrawlResult, ServedSite, crawl
from tests.warcs import read_record_at


def all_records(result: CrawlResult) -> list:
    records = []
    for path in result.warc_files():
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, no_record_parse=False):
                record.raw = (
                    record.content_stream().read()
                    if record.rec_type != "request"
                    else record.raw_stream.read()
                )
                records.append(record)
    return records


def test_crawl_succeeds_and_leaves_no_open_file(crawled: tuple[ServedSite, CrawlResult]) -> None:
    _, result = crawled
    assert result.returncode == 0, result.log
    assert result.warc_files()
    assert not list(result.archive.glob("*.open"))


def test_corpus_holds_every_article_and_only_articles(
    crawled: tuple[ServedSite, CrawlResult],
) -> None:
    served, result = crawled
    expected = {url_hash(canonicalize(served.url(path))) for path in served.site.corpus_paths}
    files = sorted(p.name for p in result.corpus.glob("*.txt"))
    assert {name[4:20] for name in files} == expected
    assert sorted(int(name[:3]) for name in files) == list(range(len(expected)))


def test_manifest_lists_exactly_the_files_with_their_metadata(
    crawled: tuple[ServedSite, CrawlResult],
) -> None:
    served, result = crawled
    manifest = result.manifest()
    assert sorted(e["file"] for e in manifest) == sorted(
        p.name for p in result.corpus.glob("*.txt")
    )
    by_url = {e["canonical_url"]: e for e in manifest}
    for path in served.site.corpus_paths:
        fixture = next(a for a in served.site.articles.values() if a.path == path)
        entry = by_url[served.url(path)]
        text = (result.corpus / entry["file"]).read_text(encoding="utf-8")
        assert text == "\n".join([fixture.title, *fixture.paragraphs]) + "\n"
        assert entry["title"] == fixture.title and entry["source"] == "fixture"
        assert entry["authors"] == ["Ana Pérez"] and entry["language"] == "en"
        assert entry["published"] == fixture.published
        assert set(entry) >= {
            "id",
            "file",
            "url",
            "canonical_url",
            "fetched_at",
            "words",
            "sha1",
            "warc",
        }


def test_provenance_points_at_the_archived_response(
    crawled: tuple[ServedSite, CrawlResult],
) -> None:
    _, result = crawled
    assert_provenance(result)


def assert_provenance(result: CrawlResult) -> None:
    """Every corpus entry names the response record of its URL, and its fetch time."""
    assert result.manifest()
    for entry in result.manifest():
        warc = entry["warc"]
        path = result.archive / warc["filename"]
        member = path.read_bytes()[warc["offset"] : warc["offset"] + warc["length"]]
        assert gzip.decompress(member).startswith(b"WARC/1.1\r\nWARC-Type: response\r\n")
        record = read_record_at(path, warc["offset"])
        assert record.rec_headers.get_header("WARC-Record-ID") == warc["record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        assert record.rec_headers.get_header("WARC-Date") == entry["fetched_at"]


def test_disallowed_old_and_offsite_pages_are_never_requested(
    crawled: tuple[ServedSite, CrawlResult],
) -> None:
    served, _ = crawled
    requested = served.server.paths()
    for path in served.site.never_fetched:
        assert path not in requested
    assert served.offsite.paths() == []
    assert "/robots.txt" in requested


def test_each_article_is_fetched_once(crawled: tuple[ServedSite, CrawlResult]) -> None:
    served, _ = crawled
    requested = [p for p in served.server.paths() if p.startswith("/news/")]
    assert len(requested) == len(set(requested))
    assert not any("utm_" in p for p in requested)


def test_every_exchange_is_archived_as_a_response_request_pair(
    crawled: tuple[ServedSite, CrawlResult],
) -> None:
    served, result = crawled
    responses: list[str] = []
    for path in result.warc_files():
        with path.open("rb") as stream:
            records = list(_iter(stream))
        assert records[0][0] == "warcinfo"
        info_id = records[0][1]
        for (kind, rid, headers, _), following in zip(records[1:], records[2:] + [None]):
            if kind != "response":
                continue
            assert following is not None and following[0] == "request"
            assert following[2]["WARC-Concurrent-To"] == rid
            for name in ("WARC-Date", "WARC-Target-URI", "WARC-IP-Address"):
                assert following[2][name] == headers[name]
            assert headers["WARC-Warcinfo-ID"] == info_id
            responses.append(headers["WARC-Target-URI"])
    served_paths = served.server.paths()
    assert sorted(responses) == sorted(served.url(p) for p in served_paths)


def test_articles_archived_by_the_workers_that_extract_them_make_the_same_corpus(
    crawled: tuple[ServedSite, CrawlResult], news_site: ServedSite, tmp_path: Path
) -> None:
    _, packed = crawled  # by default, the extraction worker packs an article's records
    site = news_site.site.source_toml(news_site.server.base_url)
    threads = crawl(tmp_path, site, {"WARC_PACK_WITH_EXTRACTION": "False"})
    assert threads.returncode == 0
    articles = 0
    for path in packed.warc_files():
        with path.open("rb") as stream:
            records = list(_iter(stream))
        for (kind, _, _, (http, _)), following in zip(records[1:], records[2:] + [None]):
            if kind == "response" and http.get_statuscode() == "200":
                assert following is not None
                encoded = http.get_header("Content-Encoding")
                html = "html" in (http.get_header("Content-Type") or "")
                article = following[2].get("News-Kind") == "article"
                articles += article and html and encoded in (None, "gzip")
    assert articles > 5
    assert f"'warc/packed_with_extraction': {articles}," in packed.log
    assert "'warc/packed_with_extraction'" not in threads.log

    def texts(crawled: CrawlResult) -> dict[str, str]:  # the two sites differ in their port
        return {urlsplit(entry["url"]).path: entry["sha1"] for entry in crawled.manifest()}

    assert texts(packed) == texts(threads) and len(texts(threads)) == 8
    assert_provenance(threads)


def _iter(stream):
    for record in ArchiveIterator(stream):
        headers = dict(record.rec_headers.headers)
        payload = record.raw_stream.read()
        yield record.rec_type, headers["WARC-Record-ID"], headers, (record.http_headers, payload)


def test_response_headers_describe_the_stored_bytes(
    crawled: tuple[ServedSite, CrawlResult],
) -> None:
    served, result = crawled
    gz = served.site.articles["a2"].path
    chunked = served.site.articles["a3"].path
    found = set()
    for path in result.warc_files():
        with path.open("rb") as stream:
            for kind, _, headers, (http, payload) in _iter(stream):
                if kind != "response":
                    continue
                url = headers["WARC-Target-URI"]
                assert http.get_header("Content-Length") == str(len(payload))
                assert http.get_header("Transfer-Encoding") is None
                assert http.protocol == "HTTP/1.1" and http.statusline.split(" ", 1)[1] in (
                    "OK",
                    "Moved Permanently",
                    "Not Found",
                )
                if url == served.url(gz):
                    assert http.get_header("Content-Encoding") == "gzip"
                    assert gzip.decompress(payload) == served.server.routes[gz].body
                    found.add("gzip")
                if url == served.url(chunked):
                    # Twisted keeps Transfer-Encoding from Scrapy; the body is de-chunked.
                    assert payload == served.server.routes[chunked].body
                    found.add("chunked")
                if http.get_statuscode() == "301":
                    assert http.get_header("Location")
                    found.add("redirect")
    assert found == {"gzip", "chunked", "redirect"}


def test_request_records_carry_path_query_and_host(crawled: tuple[ServedSite, CrawlResult]) -> None:
    served, result = crawled
    for path in result.warc_files():
        with path.open("rb") as stream:
            for kind, _, headers, (http, _) in _iter(stream):
                if kind == "request" and headers["WARC-Target-URI"].endswith("?page=2"):
                    assert http.protocol == "GET" and http.statusline.startswith(
                        "/section/world/?page=2 "
                    )
                    assert http.get_header("Host") == f"127.0.0.1:{served.server.port}"
                    assert "news-archiver" in http.get_header("User-Agent")
                    return
    pytest.fail("the paginated section page was not archived")


def test_warcio_check_passes_on_every_file(crawled: tuple[ServedSite, CrawlResult]) -> None:
    _, result = crawled
    for path in result.warc_files():
        check = subprocess.run(
            [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout and "fail" not in check.stdout


def test_summary_per_source_is_logged(crawled: tuple[ServedSite, CrawlResult]) -> None:
    served, result = crawled
    line = next(l for l in result.log.splitlines() if l.strip().startswith("fixture:"))
    fetched = len(served.server.paths())
    assert f"discovered 11 (0 known), fetched {fetched} " in line
    assert "301:1" in line and f"200:{fetched - 1}" in line
    assert "written 8," in line
    # the live-updates page matches the article pattern but is a list of links
    assert "off-topic:2" in line and "listing:1" in line
    assert line.endswith("errors 0")


def test_bad_sources_file_stops_before_any_request(news_site: ServedSite, tmp_path: Path) -> None:
    text = news_site.site.source_toml(news_site.server.base_url) + "article_patern = 'x'\n"
    result = crawl(tmp_path, text)
    assert result.returncode == 2
    assert (
        f"{tmp_path / 'sources.toml'}:9: source 'fixture' field 'article_patern': unknown field"
        in result.log
    )
    assert "Traceback" not in result.log
    assert news_site.server.paths() == []
    assert not result.data_dir.exists()


def test_source_argument_limits_the_crawl(news_site: ServedSite, tmp_path: Path) -> None:
    text = (
        news_site.site.source_toml(news_site.server.base_url)
        + '\n[[source]]\nname = "other"\nurl = "http://127.0.0.3:9/"\n'
    )
    result = crawl(tmp_path, text, args=["-a", "source=fixture"])
    assert result.returncode == 0, result.log
    assert "other:" not in result.log and "fixture: discovered 11" in result.log
    unknown = crawl(tmp_path / "x", text, args=["-a", "source=nope"])
    assert unknown.returncode == 2 and "unknown source(s): nope" in unknown.log
