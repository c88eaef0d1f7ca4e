"""The corpus store: names, manifest, atomic writes and crash recovery."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus import store as store_module
from corpus.article import Article
from corpus.lookup import LOOKUP
from corpus.manifest import entry_line
from corpus.store import MANIFEST, CorpusStore, ManifestError, corpus_file_name, read_manifest
from sitefixture import FixtureServer
from tests.conftest import crawl


def make(n: int) -> Article:
    url = f"https://n.example/story-{n}"
    return Article(
        url=url,
        title=f"Title {n}",
        paragraphs=[f"Paragraph one of {n}.", "Two."],
        canonical_url=url,
    )


def test_files_are_numbered_and_named_by_url_hash(tmp_path: Path) -> None:
    store = CorpusStore(tmp_path).open()
    entries = [store.add(make(n), source="s") for n in range(3)]
    store.close()
    for n, entry in enumerate(entries):
        digest = hashlib.sha256(f"https://n.example/story-{n}".encode()).hexdigest()[:16]
        assert entry["file"] == f"{n:03d}_{digest}.txt"
        text = (tmp_path / entry["file"]).read_text(encoding="utf-8")
        assert text == f"Title {n}\nParagraph one of {n}.\nTwo.\n"
        assert entry["sha1"] == hashlib.sha1(text.encode()).hexdigest()
    assert [e["id"] for e in read_manifest(tmp_path)] == [0, 1, 2]


def test_numbering_continues_across_runs(tmp_path: Path) -> None:
    first = CorpusStore(tmp_path).open()
    first.add(make(0))
    first.close()
    second = CorpusStore(tmp_path).open()
    assert "https://n.example/story-0" in second
    assert second.add(make(1))["id"] == 1
    second.close()


def test_recovery_after_a_crash_between_file_and_manifest(tmp_path: Path) -> None:
    store = CorpusStore(tmp_path).open()
    store.add(make(0))
    store.add(make(1))
    store.close()
    lines = (tmp_path / "index.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "index.jsonl").write_bytes(lines[0] + lines[1][:20])  # torn last line
    (tmp_path / "005_0123456789abcdef.txt.tmp").write_text("half")
    reopened = CorpusStore(tmp_path).open()
    names = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".txt")
    assert names == [json.loads(lines[0])["file"]]  # the unlisted file is gone
    assert not list(tmp_path.glob("*.tmp"))
    assert reopened.add(make(2))["id"] == 2  # number 1 is never reused
    reopened.close()
    manifest = list(read_manifest(tmp_path))
    assert [e["id"] for e in manifest] == [0, 2]
    assert sorted(e["file"] for e in manifest) == sorted(p.name for p in tmp_path.glob("*.txt"))


def test_reserved_number_survives_a_crash_before_the_file(tmp_path: Path) -> None:
    (tmp_path / ".sequence").write_text("7")
    store = CorpusStore(tmp_path).open()
    assert store.add(make(0))["id"] == 7
    store.close()


def test_file_names_come_from_numbers_and_hashes_only(tmp_path: Path) -> None:
    hostile = [
        "https://n.example/../../etc/passwd",
        "https://n.example/a%2F..%2F..%2Fb",
        "https://n.example/\x00nul",
        "https://n.example/" + "x" * 5000,
        "https://n.example/ünïcödé/😀?q=<script>",
        "https://n.example/C:\\win.txt",
    ]
    store = CorpusStore(tmp_path / "corpus").open()
    for n, url in enumerate(hostile):
        title = "../../title/with/slashes" if n == 0 else f"Title {n}"
        store.add(
            Article(url=url, title=title, paragraphs=[f"Text {n}."], canonical_url=url),
            source="../s",
        )
    store.close()
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert all(
        re.fullmatch(
            r"corpus/(\d{3,}_[0-9a-f]{16}\.txt|index\.jsonl|\.sequence|\.lock|\.lookup\.sqlite)",
            name,
        )
        for name in written
    ), written
    assert len(written) == len(hostile) + 4  # + index.jsonl, .sequence, .lock, .lookup.sqlite


def article(url: str, title: str, paragraphs: list[str]) -> Article:
    return Article(url=url, title=title, paragraphs=paragraphs, canonical_url=url)


def test_two_stores_on_one_folder_see_each_others_articles(tmp_path: Path) -> None:
    first, second = CorpusStore(tmp_path).open(), CorpusStore(tmp_path).open()
    body = ["The same long paragraph about the talks in Caracas and Moscow, word for word. " * 5]
    kept = first.add(article("https://a.example/one", title="One", paragraphs=body), source="a")
    with second.transaction():
        assert second.entry_for("https://a.example/one") == kept
        copy = article("https://b.example/copy", title="Copy", paragraphs=body)
        assert second.near_duplicate(copy) == kept
    other = second.add(
        article("https://b.example/two", title="Two", paragraphs=["Other text."]), source="b"
    )
    again = first.add(
        article("https://a.example/three", title="Three", paragraphs=["More text."]), source="a"
    )
    first.close()
    second.close()
    entries = list(read_manifest(tmp_path))
    assert [e["id"] for e in entries] == [kept["id"], other["id"], again["id"]] == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.glob("*.txt")) == sorted(e["file"] for e in entries)


def test_a_line_torn_by_a_dead_writer_is_cut_before_the_next_append(tmp_path: Path) -> None:
    store = CorpusStore(tmp_path).open()
    store.add(article("https://a.example/one", title="One", paragraphs=["Text."]), source="a")
    with (tmp_path / MANIFEST).open("ab") as manifest:
        manifest.write(b'{"id": 1, "file": "001_')  # another process died here
    store.add(article("https://a.example/two", title="Two", paragraphs=["Text two."]), source="a")
    store.close()
    assert [e["id"] for e in read_manifest(tmp_path)] == [0, 1]


def test_numbers_can_come_from_a_shared_counter(tmp_path: Path) -> None:
    handed = iter([40, 41])
    asked: list[int] = []

    def numbers(first_free_here: int) -> int:
        asked.append(first_free_here)
        return next(handed)

    store = CorpusStore(tmp_path, numbers=numbers).open()
    ids = [
        store.add(
            article(f"https://a.example/{n}", title="T", paragraphs=[f"Text {n}."]), source="a"
        )["id"]
        for n in range(2)
    ]
    store.close()
    assert ids == [40, 41] and asked == [0, 41]
    assert CorpusStore(tmp_path).open().next_number == 42


def test_a_short_write_does_not_merge_two_manifest_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def short_write(fd: int, data: bytes) -> int:  # what a full pipe or a signal may do: write part
        return real_write(fd, data[: max(1, len(data) // 3)] if bytes(data[:2]) == b'{"' else data)

    monkeypatch.setattr(os, "write", short_write)
    store = CorpusStore(tmp_path).open()
    for n in range(3):
        store.add(make(n), source="s")
    store.close()
    monkeypatch.undo()
    assert [e["id"] for e in read_manifest(tmp_path)] == [0, 1, 2]
    assert CorpusStore(tmp_path).open().entry_for("https://n.example/story-2")["id"] == 2


def test_a_failed_manifest_write_leaves_neither_a_part_line_nor_an_unlisted_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CorpusStore(tmp_path).open()
    store.add(make(0))
    real_write = os.write

    def disk_full(fd: int, data: bytes) -> int:
        if bytes(data[:2]) == b'{"':
            real_write(fd, data[:25])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError):
        store.add(make(1))
    monkeypatch.undo()
    assert (tmp_path / MANIFEST).read_bytes().endswith(b"\n")
    assert store.add(make(2))["id"] == 2  # the number of the failed article is not reused
    store.close()
    assert sorted(p.name for p in tmp_path.glob("*.txt")) == sorted(
        e["file"] for e in read_manifest(tmp_path)
    )
    assert [e["id"] for e in read_manifest(tmp_path)] == [0, 2]


def two_entries_merged_on_one_line(tmp_path: Path) -> list[bytes]:
    """A manifest of three articles whose last two lines became one, as an unchecked short write left it."""
    store = CorpusStore(tmp_path).open()
    for n in range(3):
        store.add(make(n))
    store.close()
    (tmp_path / LOOKUP).unlink()
    lines = (tmp_path / MANIFEST).read_bytes().splitlines(keepends=True)
    return [lines[0], lines[1][:40] + lines[2]]


def test_a_corrupt_last_manifest_line_is_cut_with_a_warning_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = two_entries_merged_on_one_line(tmp_path)
    (tmp_path / MANIFEST).write_bytes(b"".join(lines))
    with caplog.at_level(logging.WARNING):
        store = CorpusStore(tmp_path).open()
    assert f"{tmp_path / MANIFEST} line 2" in caplog.text
    assert store.add(make(3))["id"] == 3
    store.close()
    assert [e["id"] for e in read_manifest(tmp_path)] == [0, 3]


def test_a_corrupt_line_before_the_last_stops_the_store_and_names_its_line(tmp_path: Path) -> None:
    lines = two_entries_merged_on_one_line(tmp_path)
    damaged = b"".join(lines) + lines[0].replace(b'"id": 0', b'"id": 7')
    (tmp_path / MANIFEST).write_bytes(damaged)
    with pytest.raises(
        ManifestError, match=re.escape(f"{tmp_path / MANIFEST} line 2: not a JSON object")
    ):
        CorpusStore(tmp_path).open()
    with pytest.raises(ManifestError, match="line 2"):
        list(read_manifest(tmp_path))
    assert (tmp_path / MANIFEST).read_bytes() == damaged  # nothing dropped


def test_a_crawl_on_a_manifest_damaged_before_its_last_line_stops_with_its_line(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "data" / "corpus"
    corpus.mkdir(parents=True)
    lines = two_entries_merged_on_one_line(corpus)
    (corpus / MANIFEST).write_bytes(b"".join(lines) + lines[0])
    with FixtureServer() as server:
        result = crawl(tmp_path, f'[[source]]\nname = "s"\nurl = "{server.base_url}/"\n')
        assert server.paths() == []
    assert result.returncode != 0
    assert f"error: {corpus / MANIFEST} line 2: not a JSON object" in result.log


def test_the_lookup_index_is_rebuilt_when_missing_and_catches_up_when_older(tmp_path: Path) -> None:
    store = CorpusStore(tmp_path).open()
    store.add(make(0))
    store.close()
    older = (tmp_path / LOOKUP).read_bytes()
    store = CorpusStore(tmp_path).open()
    store.add(make(1))
    store.add_duplicate(0, "https://mirror.example/0")
    store.close()
    (tmp_path / LOOKUP).write_bytes(older)  # covers the first line only
    caught_up = CorpusStore(tmp_path).open()
    assert caught_up.entry_for("https://n.example/story-1")["id"] == 1
    assert caught_up.entry_for("https://n.example/story-0")["duplicates"] == [
        "https://mirror.example/0"
    ]
    assert caught_up.near_duplicate(make(1))["id"] == 1
    caught_up.close()
    (tmp_path / LOOKUP).unlink()
    rebuilt = CorpusStore(tmp_path).open()
    assert rebuilt.entry_for("https://n.example/story-0")["duplicates"] == [
        "https://mirror.example/0"
    ]
    assert rebuilt.add(make(2))["id"] == 2
    rebuilt.close()


def test_a_manifest_replaced_beneath_the_lookup_index_is_read_again(tmp_path: Path) -> None:
    store = CorpusStore(tmp_path).open()
    for n in range(3):
        store.add(make(n))
    store.close()
    lines = (tmp_path / MANIFEST).read_bytes().splitlines(keepends=True)
    other = [json.loads(line) for line in lines]
    other[0]["canonical_url"] = other[0]["url"] = "https://n.example/renamed-0"
    (tmp_path / MANIFEST).write_bytes(
        b"".join(entry_line(entry) for entry in other)
    )  # as long, or longer
    reopened = CorpusStore(tmp_path).open()
    assert "https://n.example/story-0" not in reopened
    assert reopened.entry_for("https://n.example/renamed-0")["id"] == 0
    reopened.close()


def test_a_kill_during_adds_leaves_a_corpus_that_opens_consistent(tmp_path: Path) -> None:
    adder = subprocess.Popen(
        [sys.executable, "-c", _ADD_FOREVER, str(tmp_path)], cwd=Path(__file__).parent.parent
    )
    manifest = tmp_path / MANIFEST
    try:
        while not manifest.exists() or manifest.read_bytes().count(b"\n") < 40:
            time.sleep(0.05)
    finally:
        adder.kill()
        adder.wait()
    store = CorpusStore(tmp_path).open()
    entries = {e["id"]: e for e in read_manifest(tmp_path)}
    assert sorted(p.name for p in tmp_path.glob("*.txt")) == sorted(
        e["file"] for e in entries.values()
    )
    for entry in entries.values():
        assert store.entry_for(entry["canonical_url"]) == entry
    assert store.add(make(10**6))["id"] > max(entries)
    store.close()


_ADD_FOREVER = """
import sys
from corpus.article import Article
from corpus.store import CorpusStore
store = CorpusStore(sys.argv[1]).open()
n = 0
while True:
    url = f"https://k.example/{n}"
    store.add(Article(url=url, title="T", paragraphs=[f"Text number {n} " * 20], canonical_url=url))
    if n % 3 == 0:
        store.add_duplicate(n, url + "/copy")
    n += 1
"""


def crash_in_append(store: CorpusStore, monkeypatch: pytest.MonkeyPatch, call: object) -> None:
    """Run ``call`` with the manifest append dying as a ``kill -9`` would (nothing after it runs)."""

    class Killed(BaseException):
        pass

    def killed(*args: object) -> None:
        raise Killed

    monkeypatch.setattr(store_module, "append_whole", killed)
    with pytest.raises(Killed):
        call()  # type: ignore[operator]
    monkeypatch.undo()


def test_a_file_linked_in_but_never_listed_is_removed_by_its_name_left_in_incoming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CorpusStore(tmp_path).open()
    first = store.add(make(0))
    crash_in_append(store, monkeypatch, lambda: store.add(make(1)))
    incoming = sorted(p.name for p in (tmp_path / ".incoming").iterdir())
    assert incoming == [name for name in incoming if name.startswith("001_")] != []
    assert (tmp_path / incoming[0]).exists()  # in place, not listed yet
    store = CorpusStore(tmp_path).open()  # the next process
    assert sorted(p.name for p in tmp_path.glob("*.txt")) == [first["file"]]
    assert not list((tmp_path / ".incoming").iterdir())
    assert store.add(make(2))["id"] == 2  # number 1 is never reused
    store.close()
    assert [e["id"] for e in read_manifest(tmp_path)] == [0, 2]


def test_a_rewrite_cut_short_leaves_the_listed_file_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CorpusStore(tmp_path).open()
    entry = store.add(make(0))
    (tmp_path / ".incoming" / entry["file"]).write_text("half a new vers")  # died while writing
    reopened = CorpusStore(tmp_path).open()
    assert (tmp_path / entry["file"]).read_text() == make(0).text()
    assert not list((tmp_path / ".incoming").iterdir())
    changed = make(0)
    changed.paragraphs = ["A new text."]
    crash_in_append(reopened, monkeypatch, lambda: reopened.update(0, changed))
    reopened = CorpusStore(tmp_path).open()
    assert (tmp_path / entry["file"]).exists() and reopened.entry_for(entry["url"]) == entry
    assert not list((tmp_path / ".incoming").iterdir())
    reopened.close()


def test_without_hard_links_files_are_renamed_into_place_and_a_crash_is_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refused(source: object, target: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    store = CorpusStore(tmp_path).open()
    monkeypatch.setattr(os, "link", refused)
    with caplog.at_level(logging.WARNING, logger="corpus.store"):
        written = [store.add(make(n)) for n in range(3)]
    assert sum("takes no hard links" in r.getMessage() for r in caplog.records) == 1
    crash_in_append(store, monkeypatch, lambda: store.add(make(3)))
    assert (tmp_path / corpus_file_name(3, make(3).canonical_url)).exists()
    store = CorpusStore(tmp_path).open()
    assert sorted(p.name for p in tmp_path.glob("*.txt")) == [e["file"] for e in written]
    assert not list((tmp_path / ".incoming").iterdir())
    assert store.add(make(4))["id"] == 4
    store.close()


def test_an_incoming_folder_removed_by_hand_is_made_again(tmp_path: Path) -> None:
    store = CorpusStore(tmp_path).open()
    store.add(make(0))
    (tmp_path / ".incoming").rmdir()
    assert store.add(make(1))["id"] == 1
    store.close()
    assert [e["id"] for e in read_manifest(tmp_path)] == [0, 1]
