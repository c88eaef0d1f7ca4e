"""``scrapy extract``: saved pages and live URLs through the crawl's extraction and filters."""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
from pathlib import Path

from sitefixture.news import build_news_site
from sitefixture.scrapyrun import CrawlResult, run_scrapy, scrapy_command
from tests.conftest import ServedSite

BASE = "http://127.0.0.1:8000"


def extract(workdir: Path, *args: str, **settings: str) -> tuple[int, str, str]:
    done = run_scrapy(
        ["extract", *args], workdir, {"SOURCES_FILE": str(workdir / "sources.toml"), **settings}
    )
    return done.returncode, done.stdout, done.stderr


def test_saved_pages_print_as_corpus_text_with_the_verdict(tmp_path: Path) -> None:
    site = build_news_site(BASE, "http://127.0.0.2:8000")
    first = site.articles["a1"]
    (tmp_path / "a1.html").write_bytes(site.routes[first.path].body)
    (tmp_path / "a1.html.gz").write_bytes(gzip.compress(site.routes[first.path].body))
    (tmp_path / "home.html").write_bytes(site.routes["/"].body)
    code, out, err = extract(
        tmp_path, "a1.html", "gone.html", "ftp://127.0.0.1/a", "a1.html.gz", "home.html"
    )
    assert code == 1  # two inputs of five could not be read
    assert err.strip().splitlines()[-2:] == [
        "error: gone.html: no such file",
        (
            "error: ftp://127.0.0.1/a: only http and https URLs are fetched, not ftp:, "
            "and no file has this name"
        ),
    ]
    pages = out.split("==> ")[1:]
    assert [page.splitlines()[0].split("  <")[0] for page in pages] == [
        "a1.html <== written",
        "a1.html.gz <== written",
        "home.html <== filtered:listing",
    ]
    assert pages[0].rstrip("\n").splitlines()[1:] == [first.title, *first.paragraphs]
    assert pages[0] == pages[1].replace("a1.html.gz", "a1.html")


def test_jsonl_carries_the_metadata_and_the_source_filters_apply(tmp_path: Path) -> None:
    site = build_news_site(BASE, "http://127.0.0.2:8000")
    (tmp_path / "sources.toml").write_text(site.source_toml(BASE))
    cycling = site.articles["a8"]  # off the sources' topic
    (tmp_path / "page.html").write_bytes(site.routes[cycling.path].body)
    code, out, err = extract(tmp_path, "--jsonl", "--url", BASE + cycling.path, "page.html")
    assert code == 0, err
    [record] = [json.loads(line) for line in out.splitlines()]
    assert record["verdict"] == "filtered:off-topic" and record["source"] == "fixture"
    assert record["url"] == BASE + cycling.path and record["title"] == cycling.title
    assert (
        record["published"] == cycling.published
        and record["authors"]
        and record["language"] == "en"
    )
    assert record["text"].splitlines() == [cycling.title, *cycling.paragraphs]
    # Without --url the page is no source's: no topic filter.
    code, out, _ = extract(tmp_path, "--jsonl", "page.html")
    assert (
        code == 0 and json.loads(out)["verdict"] == "written" and json.loads(out)["source"] is None
    )


def test_live_urls_are_fetched_politely(tmp_path: Path, news_site: ServedSite) -> None:
    first, private = news_site.site.articles["a1"], news_site.site.articles["p"]
    args = [news_site.url(first.path), news_site.url(private.path), news_site.url("/no-such-story")]
    code, out, err = extract(tmp_path, *args)
    assert code == 1, err
    assert out.startswith(f"==> {args[0]} <== written\n{first.title}\n")
    assert f"==> {args[2]} <== http:404" in out
    missing = extract(tmp_path, args[2])
    assert missing[0] == 3 and f"==> {args[2]} <== http:404" in missing[1]  # nothing was read
    assert f"error: {args[1]}: " in err and "robots.txt" in err  # disallowed, never fetched
    assert private.path not in news_site.server.paths()
    # Without ALLOW_PRIVATE_ADDRESSES the address guard refuses 127.0.0.1: nothing worked.
    code, out, err = extract(tmp_path, args[0], ALLOW_PRIVATE_ADDRESSES="False")
    assert code == 3 and not out and f"error: {args[0]}: " in err and "non-public address" in err


def test_unreachable_url_and_bad_usage(tmp_path: Path) -> None:
    code, _, err = extract(tmp_path, "http://127.0.0.1:9/story")
    assert code == 3 and "error: http://127.0.0.1:9/story: " in err
    code, _, err = extract(tmp_path, "--url", "http://127.0.0.1:9/a", "a.html", "b.html")
    assert code == 2 and "--url" in err


def test_what_extract_shows_is_what_a_crawl_wrote(
    tmp_path: Path, crawled: tuple[ServedSite, CrawlResult]
) -> None:
    served, result = crawled
    (tmp_path / "sources.toml").write_text(served.site.source_toml(served.server.base_url))
    urls = [served.url(article.path) for key, article in served.site.articles.items() if key != "p"]
    code, out, err = extract(tmp_path, "--jsonl", *urls)
    assert code == 0, err
    shown = {record["url"]: record for record in map(json.loads, out.splitlines())}
    written = {entry["url"]: entry for entry in result.manifest()}
    assert written and set(written) <= {
        url for url, record in shown.items() if record["verdict"] == "written"
    }
    for url, entry in written.items():
        assert shown[url]["text"] == (result.corpus / entry["file"]).read_text(encoding="utf-8")
        assert shown[url]["title"] == entry["title"] and shown[url]["authors"] == entry["authors"]
    assert any(record["verdict"] == "filtered:off-topic" for record in shown.values())


def test_devices_fifos_huge_and_binary_inputs_are_refused_with_one_line(tmp_path: Path) -> None:
    """Nothing is read without bound: the run is capped at 2 GiB of address space all the same."""
    os.mkfifo(tmp_path / "pipe.html")
    (tmp_path / "big.html").write_bytes(b"<p>" + b"a" * 2000 + b"</p>")
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(b"<p>" + b"a" * 100_000))
    (tmp_path / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (tmp_path / "page.html").write_bytes(
        b"<html><body><p>" + b"word " * 150 + b"</p></body></html>"
    )
    inputs = ["/dev/zero", "pipe.html", str(tmp_path), "big.html", "bomb.html.gz", "image.html"]
    done = run_scrapy(
        ["extract", *inputs, "page.html"],
        tmp_path,
        {"SOURCES_FILE": str(tmp_path / "sources.toml"), "DOWNLOAD_MAXSIZE": "1024"},
        limit=(resource.RLIMIT_AS, 2 << 30),
    )
    assert done.returncode == 1, done.stderr  # one input of seven was read
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: /dev/zero: not a regular file (a device, FIFO or folder)",
        "error: pipe.html: not a regular file (a device, FIFO or folder)",
        f"error: {tmp_path}: not a regular file (a device, FIFO or folder)",
        "error: big.html: larger than DOWNLOAD_MAXSIZE (1024 bytes)",
        "error: bomb.html.gz: larger than DOWNLOAD_MAXSIZE (1024 bytes) once inflated",
        "error: image.html: binary data (NUL bytes), not HTML",
    ]
    assert done.stdout.startswith("==> page.html <== ")


def test_a_reader_that_stops_early_ends_extract_quietly(tmp_path: Path) -> None:
    site = build_news_site(BASE, "http://127.0.0.2:8000")
    page = site.routes[site.articles["a1"].path].body
    names = []
    for n in range(80):  # well over a pipe buffer of output
        (tmp_path / f"a{n}.html").write_bytes(page)
        names.append(f"a{n}.html")
    command, env = scrapy_command(["extract", *names], {})
    reader = subprocess.Popen(
        ["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    done = subprocess.run(
        command, cwd=tmp_path, env=env, stdout=reader.stdin, stderr=subprocess.PIPE, check=False
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait()
    assert "Traceback" not in done.stderr.decode() and "BrokenPipe" not in done.stderr.decode()
    assert done.returncode == 0
