"""``scrapy wacz``: a WACZ 1.1.1 file that py-wacz's validator accepts, articles listed with their text."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

from corpus.store import read_manifest
from scraper.commands.wacz import corpus_pages
from sitefixture.scrapyrun import run_scrapy
from tests.conftest import CrawlResult, ServedSite

WACZ = Path(sys.executable).parent / "wacz"


def package(result: CrawlResult, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_scrapy(["wacz", str(out), *args], out.parent, {"DATA_DIR": str(result.data_dir)})


def validate(wacz: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WACZ), "validate", "-f", str(wacz)], capture_output=True, text=True, check=False
    )


def test_the_wacz_file_is_valid_and_lists_every_article_with_its_text(
    crawled: tuple[ServedSite, CrawlResult], tmp_path: Path
) -> None:
    _, result = crawled
    out = tmp_path / "news.wacz"
    done = package(result, out, "--title", "Russia and Venezuela")
    assert done.returncode == 0, done.stderr
    checked = validate(out)
    assert checked.returncode == 0 and "the passed WACZ is valid" in checked.stdout, checked.stdout
    with zipfile.ZipFile(out) as wacz:
        names = wacz.namelist()
        assert {f"archive/{warc.name}" for warc in result.warc_files()} <= set(names)
        assert all(
            wacz.getinfo(name).compress_type == zipfile.ZIP_STORED
            for name in names
            if name.startswith("archive/")
        )
        header, *pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
        index = wacz.read("indexes/index.cdx").decode().splitlines()
        package_info = json.loads(wacz.read("datapackage.json"))
    assert header["format"] == "json-pages-1.0" and header["hasText"] is True
    assert (
        package_info["wacz_version"] == "1.1.1" and package_info["title"] == "Russia and Venezuela"
    )
    corpus = {entry["url"]: entry for entry in read_manifest(result.corpus)}
    assert {page["url"] for page in pages} == set(corpus) and len(pages) == 8
    for page in pages:
        entry = corpus[page["url"]]
        assert page["title"] == entry["title"] and page["ts"] == entry["fetched_at"]
        assert page["text"] == (result.corpus / entry["file"]).read_text()
    assert index == sorted(index) and all('"url": ' in line for line in index)
    captured = {json.loads(line.split(" ", 2)[2])["url"] for line in index}
    assert set(corpus) <= captured


def test_a_tampered_wacz_file_fails_validation(
    crawled: tuple[ServedSite, CrawlResult], tmp_path: Path
) -> None:
    _, result = crawled
    out = tmp_path / "news.wacz"
    assert package(result, out).returncode == 0
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(tampered, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            copy.writestr(
                info,
                data.replace(b"Venezuela", b"Venezuelx")
                if info.filename.startswith("pages/")
                else data,
            )
    assert validate(tampered).returncode != 0


def test_wacz_refuses_an_archive_without_warc_files(tmp_path: Path) -> None:
    done = run_scrapy(["wacz", str(tmp_path / "out.wacz"), "--archive", str(tmp_path)], tmp_path)
    assert done.returncode == 2 and f"no WARC files to package in {tmp_path}" in done.stderr
    assert not (tmp_path / "out.wacz").exists()


def test_a_tampered_manifest_cannot_pull_other_files_into_the_pages(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "000_0123456789abcdef.txt").write_text("Headline\nBody.\n")
    lines = [
        {
            "file": "000_0123456789abcdef.txt",
            "url": "http://a.test/1",
            "fetched_at": "2026-11-23T07:00:00Z",
            "title": "Headline",
        },
        {
            "file": "../secret.txt",
            "url": "http://a.test/2",
            "fetched_at": "2026-11-23T07:00:00Z",
            "title": "x",
        },
    ]
    (corpus / "index.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert [page.url for page in corpus_pages(corpus)] == ["http://a.test/1"]


def copy_archive(result: CrawlResult, to: Path) -> list[Path]:
    to.mkdir()
    copies = []
    for warc in result.warc_files():
        copies.append(to / warc.name)
        copies[-1].write_bytes(warc.read_bytes())
    return copies


def test_a_torn_tail_is_cut_before_packaging_and_the_package_is_valid(
    crawled: tuple[ServedSite, CrawlResult], tmp_path: Path
) -> None:
    _, result = crawled
    warc = copy_archive(result, tmp_path / "archive")[0]
    whole = warc.read_bytes()
    noise = random.Random(1).randbytes(
        900
    )  # does not compress: the member is longer than 300 bytes
    warc.write_bytes(
        whole + gzip.compress(b"WARC/1.1\r\nContent-Length: 900\r\n\r\n" + noise)[:300]
    )
    out = tmp_path / "news.wacz"
    done = package(result, out, "--archive", str(tmp_path / "archive"))
    assert done.returncode == 0, done.stderr
    assert f"warning: {warc}: cut a torn record of 300 bytes off its end" in done.stderr
    assert warc.read_bytes() == whole
    checked = validate(out)
    assert checked.returncode == 0 and "the passed WACZ is valid" in checked.stdout, checked.stdout


def test_a_file_damaged_in_its_middle_is_refused_with_the_place(
    crawled: tuple[ServedSite, CrawlResult], tmp_path: Path
) -> None:
    _, result = crawled
    warc = copy_archive(result, tmp_path / "archive")[0]
    data = warc.read_bytes()
    middle = len(data) // 2
    warc.write_bytes(data[:middle] + b"\0" * 500 + data[middle + 500 :])
    out = tmp_path / "news.wacz"
    done = package(result, out, "--archive", str(tmp_path / "archive"))
    assert done.returncode == 2, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert f"error: {warc}: bytes " in line and "hold no WARC record" in line
    assert not out.exists()
