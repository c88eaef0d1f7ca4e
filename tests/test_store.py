"""The corpus store: names, manifest, atomic writes and crash recovery."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from corpus.article import Article
from corpus.store import MANIFEST, CorpusStore, read_manifest


def make(n: int) -> Article:
    url = f"https://n.example/story-{n}"
    return Article(url=url, title=f"Title {n}", paragraphs=[f"Paragraph one of {n}.", "Two."], canonical_url=url)


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
        "https://n.example/../../etc/passwd", "https://n.example/a%2F..%2F..%2Fb", "https://n.example/\x00nul",
        "https://n.example/" + "x" * 5000, "https://n.example/ünïcödé/😀?q=<script>", "https://n.example/C:\\win.txt",
    ]
    store = CorpusStore(tmp_path / "corpus").open()
    for n, url in enumerate(hostile):
        title = "../../title/with/slashes" if n == 0 else f"Title {n}"
        store.add(Article(url=url, title=title, paragraphs=[f"Text {n}."], canonical_url=url), source="../s")
    store.close()
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert all(re.fullmatch(r"corpus/(\d{3,}_[0-9a-f]{16}\.txt|index\.jsonl|\.sequence|\.lock)", name) for name in written), written
    assert len(written) == len(hostile) + 3  # + index.jsonl, .sequence, .lock


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
    other = second.add(article("https://b.example/two", title="Two", paragraphs=["Other text."]), source="b")
    again = first.add(article("https://a.example/three", title="Three", paragraphs=["More text."]), source="a")
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
    ids = [store.add(article(f"https://a.example/{n}", title="T", paragraphs=[f"Text {n}."]), source="a")["id"] for n in range(2)]
    store.close()
    assert ids == [40, 41] and asked == [0, 41]
    assert CorpusStore(tmp_path).open().next_number == 42
