"""``scrapy wacz``: a WACZ 1.1.1 file that py-wacz's validator accepts, articles listed with their text."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from archive import cdxj
from archive.cdxj import index_path, index_warc
from archive.reader import archive_files
from archive.wacz import INDEX_PATH, PAGES_PATH, Page, write_wacz
from archive.writer import WarcWriter
from corpus.store import ManifestError, read_manifest
from scraper import exitcodes
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


def test_an_output_folder_that_does_not_exist_is_one_line_and_a_failed_write(
    tmp_path: Path,
) -> None:
    small_archive(tmp_path / "archive", files=1, per_file=2)
    out = tmp_path / "no-such-folder" / "out.wacz"
    done = run_scrapy(["wacz", str(out), "--archive", str(tmp_path / "archive")], tmp_path)
    assert done.returncode == exitcodes.IO_ERROR, done.stderr
    assert f"\nerror: {out} not written: No such file or directory" in done.stderr
    assert "Traceback" not in done.stderr


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


def test_a_file_that_holds_no_record_at_all_is_refused(
    crawled: tuple[ServedSite, CrawlResult], tmp_path: Path
) -> None:
    """It passed for a file with a torn tail of all its bytes, which were not cut: the package
    was written, exit 0, and failed validation."""
    _, result = crawled
    copy_archive(result, tmp_path / "archive")
    bogus = tmp_path / "archive" / "news-20261203170000-00001-x-2.warc.gz"
    bogus.write_bytes(b"hello world, not a warc\n")
    out = tmp_path / "news.wacz"
    done = package(result, out, "--archive", str(tmp_path / "archive"))
    assert done.returncode == 2, done.stderr
    assert f"error: {bogus}: bytes 0-24 hold no WARC record" in done.stderr
    assert "cut a torn record" not in done.stderr and not out.exists()


def small_archive(directory: Path, files: int = 3, per_file: int = 7) -> list[Path]:
    """WARC files (with their indexes) whose URLs interleave, so their index lines must be merged."""
    for number in range(files):
        writer = WarcWriter(directory, hostname="test", pid=number + 1)
        for capture in range(per_file):
            url = f"http://a.test/{capture * files + number}?at={number}"
            body = f"<p>{url}</p>".encode()
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
            date = f"2026-11-{23 - capture % 3}T10:0{number}:00Z"
            writer.write([writer.factory.response(url, head, body, date=date)])
        writer.close()
    return archive_files(directory)


def sorted_in_memory(warcs: list[Path]) -> bytes:
    return "".join(
        sorted(entry.line() + "\n" for warc in warcs for entry in index_warc(warc))
    ).encode()


def package_members(wacz: Path) -> tuple[bytes, dict[str, object]]:
    with zipfile.ZipFile(wacz) as package:
        resources = json.loads(package.read("datapackage.json"))["resources"]
        return package.read(INDEX_PATH), {item["path"]: item for item in resources}


def test_the_index_is_merged_from_fresh_indexes_and_files_whose_index_is_missing_or_older(
    tmp_path: Path,
) -> None:
    warcs = small_archive(tmp_path / "archive", files=4)
    index_path(warcs[0]).unlink()
    stale = index_path(warcs[1])
    stale.write_text("".join(stale.read_text().splitlines(keepends=True)[1:]))  # a line short
    os.utime(stale, (1_000_000, 1_000_000))
    expected = sorted_in_memory(warcs)
    out = tmp_path / "news.wacz"
    write_wacz(out, warcs, [], title="t", software="s")
    index, resources = package_members(out)
    assert index == expected and len(index.splitlines()) == 4 * 7
    assert resources[INDEX_PATH]["bytes"] == len(expected)
    assert resources[INDEX_PATH]["hash"] == f"sha256:{hashlib.sha256(expected).hexdigest()}"
    assert not list(tmp_path.glob("*.part")) and validate(out).returncode == 0


def test_a_fresh_index_is_streamed_as_it_is_not_read_again_from_its_warc_file(
    tmp_path: Path,
) -> None:
    warcs = small_archive(tmp_path / "archive", files=2)
    fresh = index_path(warcs[0])
    fresh.write_text(fresh.read_text().replace('"status": "200"', '"status": "299"'))
    out = tmp_path / "news.wacz"
    write_wacz(out, warcs, [], title="t", software="s")
    index, _ = package_members(out)
    assert index.count(b'"status": "299"') == 7 and index.count(b'"status": "200"') == 7
    assert index.splitlines() == sorted(index.splitlines())


def test_an_index_out_of_order_is_refused_with_its_file_and_line_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    warcs = small_archive(tmp_path / "archive", files=2)
    index = index_path(warcs[1])
    lines = index.read_text().splitlines(keepends=True)
    lines[2], lines[3] = lines[3], lines[2]
    index.write_text("".join(lines))
    out = tmp_path / "news.wacz"
    done = run_scrapy(["wacz", str(out), "--archive", str(tmp_path / "archive")], tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"error: {index}: line 4 sorts before the line above it" in done.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_more_indexes_than_are_opened_at_once_are_merged_in_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cdxj, "MERGE_FAN_IN", 2)
    warcs = small_archive(tmp_path / "archive", files=7, per_file=3)
    index_path(warcs[3]).unlink()
    out = tmp_path / "news.wacz"
    write_wacz(out, warcs, [], title="t", software="s")
    index, _ = package_members(out)
    assert index == sorted_in_memory(warcs) and len(index.splitlines()) == 21


def pages_as_written_whole(pages: list[Page], title: str) -> bytes:
    """``pages.jsonl`` as the whole-file writer made it: header, then one line per page."""
    header = {"format": "json-pages-1.0", "id": "pages", "title": title, "hasText": True}
    lines = [json.dumps(header, ensure_ascii=False)] + [
        json.dumps(
            {"id": f"page-{n}", "url": p.url, "ts": p.ts, "title": p.title, "text": p.text},
            ensure_ascii=False,
        )
        for n, p in enumerate(pages)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def raw_member(wacz: Path, name: str) -> tuple[tuple[object, ...], bytes]:
    """A member's header fields (but its date) and its stored (compressed) bytes."""
    with zipfile.ZipFile(wacz) as package:
        info = package.getinfo(name)
        with wacz.open("rb") as stream:
            stream.seek(info.header_offset + 26)
            skip = int.from_bytes(stream.read(2), "little") + int.from_bytes(
                stream.read(2), "little"
            )
            stream.seek(skip, os.SEEK_CUR)
            data = stream.read(info.compress_size)
    fields = (info.compress_type, info.external_attr, info.flag_bits, info.CRC, info.file_size)
    return fields + (info.compress_size, info.extract_version), data


def test_pages_are_streamed_into_the_same_bytes_as_written_whole(tmp_path: Path) -> None:
    rng = random.Random(3)
    words = ["Venezuela", "Россия", "oil", "talks", "é", "\u2028", '"quoted"', "多"]
    pages = [
        Page(
            f"http://a.test/{n}",
            "2026-11-23T07:00:00Z",
            f"Headline {n}",
            "\n".join(" ".join(rng.choices(words, k=80)) for _ in range(5)) + "\n",
        )
        for n in range(4000)  # several MiB: the copy into the member takes more than one block
    ]
    expected = pages_as_written_whole(pages, "Россия")
    assert len(expected) > 3 * 2**20
    warcs = small_archive(tmp_path / "archive", files=1)
    out = tmp_path / "news.wacz"
    write_wacz(out, warcs, iter(pages), title="Россия", software="s")
    reference = tmp_path / "reference.zip"
    with zipfile.ZipFile(reference, "w", allowZip64=True) as whole:
        whole.writestr(PAGES_PATH, expected, compress_type=zipfile.ZIP_DEFLATED)
    assert raw_member(out, PAGES_PATH) == raw_member(reference, PAGES_PATH)
    _, resources = package_members(out)
    assert resources[PAGES_PATH]["bytes"] == len(expected)
    assert resources[PAGES_PATH]["hash"] == f"sha256:{hashlib.sha256(expected).hexdigest()}"
    assert not list(tmp_path.glob("tmp*")) and validate(out).returncode == 0


def test_corpus_pages_list_each_file_once_where_it_first_came_with_its_latest_entry(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = ["007_00000000000000aa.txt", "002_00000000000000bb.txt", "005_00000000000000cc.txt"]
    for name in names:
        (corpus / name).write_text(f"{name}\nBody.\n")
    at = "2026-11-23T07:00:00Z"
    lines = [
        {"file": names[0], "url": "http://a.test/7", "fetched_at": at, "title": "first"},
        {"file": names[1], "url": "http://a.test/2", "fetched_at": at, "title": "two"},
        {"file": "not-a-corpus-file.txt", "url": "http://a.test/x", "fetched_at": at},
        {"file": names[0], "url": "http://a.test/7", "fetched_at": at, "title": "updated"},
        {"file": names[2], "url": "http://a.test/5", "fetched_at": at, "title": "five"},
        {"file": "009_00000000000000dd.txt", "url": "http://a.test/9", "fetched_at": at},
        {"file": names[1], "url": "http://a.test/2", "fetched_at": at, "title": "copy noted"},
    ]
    manifest = corpus / "index.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"file": "torn')
    pages = corpus_pages(corpus)
    assert [(page.url, page.title, page.text) for page in pages] == [
        ("http://a.test/7", "updated", f"{names[0]}\nBody.\n"),
        ("http://a.test/2", "copy noted", f"{names[1]}\nBody.\n"),
        ("http://a.test/5", "five", f"{names[2]}\nBody.\n"),
    ]
    manifest.write_text("not json\n" + manifest.read_text())
    with pytest.raises(ManifestError, match="line 1"):
        corpus_pages(corpus)  # before any page is asked for
    archive = tmp_path / "archive"
    small_archive(archive, files=1)
    out = tmp_path / "news.wacz"
    done = run_scrapy(
        ["wacz", str(out), "--archive", str(archive), "--corpus", str(corpus)], tmp_path
    )
    assert done.returncode == 2 and f"error: {manifest} line 1: not a JSON object" in done.stderr
    assert not out.exists()
