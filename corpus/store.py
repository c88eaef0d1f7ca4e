"""The corpus on disk: numbered text files and the ``index.jsonl`` manifest."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from corpus.article import Article
from corpus.simhash import NearDuplicateIndex
from corpus.urls import canonicalize, url_hash

logger = logging.getLogger(__name__)

MANIFEST = "index.jsonl"
SEQUENCE = ".sequence"
LOCK = ".lock"
_FILE_NAME = re.compile(r"^(\d{3,})_[0-9a-f]{16}\.txt$")


def is_corpus_file_name(name: str) -> bool:
    """Whether ``name`` is a corpus file name (and so no path into another folder)."""
    return bool(_FILE_NAME.match(name))


def corpus_file_name(number: int, canonical_url: str) -> str:
    """Return ``NNN_HHHHHHHHHHHHHHHH.txt`` for an article."""
    return f"{number:03d}_{url_hash(canonical_url)}.txt"


def _write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".tmp")
    try:
        with temp.open("wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
        raise


def read_manifest(directory: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield the manifest entries of a corpus, skipping a torn last line."""
    path = Path(directory) / MANIFEST
    if not path.exists():
        return
    with path.open("rb") as stream:
        for line in stream:
            if line.endswith(b"\n"):
                yield json.loads(line)


class CorpusStore:
    """Numbered article files plus an append-only manifest, safe against crashes.

    Order of writes: the next free number is reserved in ``.sequence``, the text
    goes to a temporary file renamed into place, then the manifest line is
    appended. A crash leaves at worst a gap in the numbering or a file that is
    not listed yet; :meth:`open` removes such files, and numbers are never reused.

    An article whose text changed is rewritten in place by :meth:`update`, which
    appends a new manifest line with the same ``id`` and the next ``version``;
    the last line of an ``id`` describes the file as it is. Each entry carries
    the SimHash of the body (``simhash``, 16 hex digits) so a near-duplicate
    reached under another URL is found (:meth:`near_duplicate`), and the URLs
    under which copies were seen (``duplicates``, added by :meth:`add_duplicate`).

    Several processes may share one corpus folder: each change happens inside
    :meth:`transaction`, which holds ``.lock`` and first reads the manifest lines
    the others appended. ``numbers``, when given, hands out article numbers
    instead of ``.sequence`` (a counter shared by crawlers on several machines).
    """

    def __init__(self, directory: str | os.PathLike[str], numbers: Callable[[int], int] | None = None) -> None:
        self.directory = Path(directory)
        self.next_number = 0
        self.by_canonical_url: dict[str, int] = {}
        self.latest: dict[int, dict[str, Any]] = {}
        self.fingerprints = NearDuplicateIndex()
        self.numbers = numbers
        self._manifest: int | None = None
        self._lock: int | None = None
        self._lock_depth = 0
        self._read_to = 0  # manifest bytes already taken in

    def open(self) -> CorpusStore:
        """Recover from any crash and get ready to add articles."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(self.directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        with self.transaction():
            listed = {entry["file"] for entry in self.latest.values()}
            for path in self.directory.iterdir():
                match = _FILE_NAME.match(path.name)
                if path.name.endswith(".tmp"):
                    path.unlink()
                elif match:
                    self.next_number = max(self.next_number, int(match.group(1)) + 1)
                    if path.name not in listed:
                        logger.warning("Removed %s: a crash left it out of the manifest", path)
                        path.unlink()
            self._manifest = os.open(
                self.directory / MANIFEST, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
            )
        return self

    @contextmanager
    def transaction(self) -> Iterator[CorpusStore]:
        """Hold the folder's lock, up to date with what other processes wrote; may nest."""
        assert self._lock is not None, "CorpusStore.open() first"
        if self._lock_depth == 0:
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            self._catch_up()
        self._lock_depth += 1
        try:
            yield self
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock, fcntl.LOCK_UN)

    def _catch_up(self) -> None:
        """Take in the manifest lines appended since the last read, and the reserved numbers.

        Called with the lock held, so a last line without its newline was torn by a
        writer that died: it is cut off before anything is appended after it.
        """
        path = self.directory / MANIFEST
        size = path.stat().st_size if path.exists() else 0
        if size > self._read_to:
            with path.open("rb") as stream:
                stream.seek(self._read_to)
                for line in stream:
                    if not line.endswith(b"\n"):
                        break
                    self._read_to += len(line)
                    self._take_in(json.loads(line))
            if size > self._read_to:
                logger.warning("Cut a torn last line (%d bytes) from %s", size - self._read_to, path)
                os.truncate(path, self._read_to)
        sequence = self.directory / SEQUENCE
        if sequence.exists():
            self.next_number = max(self.next_number, int(sequence.read_text() or 0))

    def _take_in(self, entry: dict[str, Any]) -> None:
        self.by_canonical_url[entry["canonical_url"]] = entry["id"]
        self.latest[entry["id"]] = entry
        if "simhash" in entry:
            self.fingerprints.add(int(entry["simhash"], 16), entry["id"])
        self.next_number = max(self.next_number, entry["id"] + 1)

    def __contains__(self, canonical_url: str) -> bool:
        return canonical_url in self.by_canonical_url

    def entry_for(self, canonical_url: str) -> dict[str, Any] | None:
        """Return the current manifest entry of an article, if it is in the corpus."""
        number = self.by_canonical_url.get(canonical_url)
        return None if number is None else self.latest[number]

    def near_duplicate(self, article: Article) -> dict[str, Any] | None:
        """The entry of a stored article whose body is nearly the same as ``article``'s."""
        number = self.fingerprints.find(article.fingerprint())
        return None if number is None else self.latest[number]

    def add_duplicate(self, number: int, url: str) -> dict[str, Any] | None:
        """Record that article ``number`` was also found at ``url``; the new entry, or ``None`` if known."""
        with self.transaction():
            entry = self.latest[number]
            seen = entry.get("duplicates", [])
            if canonicalize(url) in {canonicalize(entry["url"]), *map(canonicalize, seen)}:
                return None
            return self._append({**entry, "duplicates": [*seen, url]})

    def add(self, article: Article, **fields: Any) -> dict[str, Any]:
        """Store ``article`` under the next number and return its manifest entry."""
        with self.transaction():
            number = self.numbers(self.next_number) if self.numbers else self.next_number
            self.next_number = max(self.next_number, number + 1)
            _write_atomic(self.directory / SEQUENCE, str(self.next_number).encode())
            return self._write(number, 1, article, fields)

    def update(self, number: int, article: Article, **fields: Any) -> dict[str, Any]:
        """Rewrite article ``number`` with a new text; return its new manifest entry."""
        with self.transaction():
            previous = self.latest[number]
            return self._write(number, previous.get("version", 1) + 1, article, fields, previous["file"])

    def _write(
        self, number: int, version: int, article: Article, fields: dict[str, Any], name: str | None = None
    ) -> dict[str, Any]:
        name = name or corpus_file_name(number, article.canonical_url)
        text = article.text().encode("utf-8")
        fingerprint = article.fingerprint()
        _write_atomic(self.directory / name, text)
        entry = {
            "id": number,
            "version": version,
            "file": name,
            "url": article.url,
            "canonical_url": article.canonical_url,
            "title": article.title,
            "authors": article.authors,
            "published": article.published,
            "language": article.language,
            "words": article.words,
            "sha1": hashlib.sha1(text).hexdigest(),
            "simhash": f"{fingerprint:016x}",
            **fields,
        }
        if version > 1 and "duplicates" in self.latest[number]:
            entry["duplicates"] = self.latest[number]["duplicates"]
        self.fingerprints.add(fingerprint, number)
        self.by_canonical_url[article.canonical_url] = number
        return self._append(entry)

    def _append(self, entry: dict[str, Any]) -> dict[str, Any]:
        assert self._manifest is not None and self._lock_depth, "inside transaction() only"
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        os.write(self._manifest, line)
        self._read_to += len(line)  # under the lock, so nobody appended in between
        self.latest[entry["id"]] = entry
        return entry

    def close(self) -> None:
        """Flush the manifest to disk."""
        if self._manifest is not None:
            os.fsync(self._manifest)
            os.close(self._manifest)
            self._manifest = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
