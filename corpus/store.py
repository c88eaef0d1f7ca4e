"""The corpus on disk: numbered text files and the ``index.jsonl`` manifest."""

from __future__ import annotations

import errno
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
from corpus.lookup import LOOKUP, ManifestIndex, line_digest
from corpus.manifest import (
    MANIFEST,
    ManifestError,
    append_whole,
    entry_line,
    parse_entry,
    read_manifest,
)
from corpus.urls import canonicalize, url_hash

logger = logging.getLogger(__name__)

__all__ = [
    "MANIFEST",
    "CorpusStore",
    "ManifestError",
    "corpus_file_name",
    "is_corpus_file_name",
    "read_manifest",
]

SEQUENCE = ".sequence"
LOCK = ".lock"
INCOMING = ".incoming"  # a file is written here, then linked (or renamed) into the corpus folder
_FILE_NAME = re.compile(r"^(\d{3,})_[0-9a-f]{16}\.txt$")
_BATCH = 50_000  # manifest lines indexed per commit when catching up
_BULK_BYTES = 20_000_000  # more manifest than this to index: sort the lookup indexes once, after


def is_corpus_file_name(name: str) -> bool:
    """Whether ``name`` is a corpus file name (and so no path into another folder)."""
    return bool(_FILE_NAME.match(name))


def corpus_file_name(number: int, canonical_url: str) -> str:
    """Return ``NNN_HHHHHHHHHHHHHHHH.txt`` for an article."""
    return f"{number:03d}_{url_hash(canonical_url)}.txt"


def _write_whole(path: Path, data: bytes) -> None:
    """Write ``path`` with ``data``; a failure (a full disk) leaves no half-written file behind."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError:
        path.unlink(missing_ok=True)
        raise


class CorpusStore:
    """Numbered article files plus an append-only manifest, safe against crashes.

    Order of writes: the next free number is reserved in ``.sequence``, the text
    goes to a temporary file in ``.incoming/``, which is hard-linked into place
    (renamed, for an update), then the manifest line is appended and the
    temporary name removed. A crash leaves at worst a gap in the numbering or a
    file that is not listed yet, which the next transaction finds by its name
    left in ``.incoming/`` and removes; numbers are never reused. The corpus
    folder, which may hold a million files, sees one new name per article and
    is never listed (but to check it against a newly built lookup index).

    An article whose text changed is rewritten in place by :meth:`update`, which
    appends a new manifest line with the same ``id`` and the next ``version``;
    the last line of an ``id`` describes the file as it is. Each entry carries
    the SimHash of the body (``simhash``, 16 hex digits) so a near-duplicate
    reached under another URL is found (:meth:`near_duplicate`), and the URLs
    under which copies were seen (``duplicates``, added by :meth:`add_duplicate`).

    Lookups go through ``.lookup.sqlite`` (:class:`corpus.lookup.ManifestIndex`),
    built from the manifest and kept up to date with it, so opening a corpus of
    any size reads only what was appended since. Several processes may share one
    corpus folder: each change happens inside :meth:`transaction`, which holds
    ``.lock`` and first indexes the manifest lines the others appended. ``numbers``,
    when given, hands out article numbers instead of ``.sequence`` (a counter
    shared by crawlers on several machines).
    """

    def __init__(
        self, directory: str | os.PathLike[str], numbers: Callable[[int], int] | None = None
    ) -> None:
        self.directory = Path(directory)
        self.next_number = 0
        self.numbers = numbers
        self._manifest: int | None = None
        self._index: ManifestIndex | None = None
        self._lock: int | None = None
        self._sequence: int | None = None
        self._incoming = self.directory / INCOMING
        self._hard_links = True  # until the filesystem refuses one
        self._lock_depth = 0
        self._read_to = 0  # manifest bytes and lines indexed
        self._lines = 0
        self._checked = False  # the first transaction checks the index against the manifest

    def open(self) -> CorpusStore:
        """Recover from any crash and get ready to add articles.

        Raises :class:`ManifestError` naming the line when a manifest line other
        than the last is not an entry; a torn last line is cut, with a warning.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(self.directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        self._sequence = os.open(self.directory / SEQUENCE, os.O_WRONLY | os.O_CREAT, 0o644)
        self._incoming.mkdir(exist_ok=True)
        self._manifest = os.open(
            self.directory / MANIFEST, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644
        )
        try:
            with self.transaction():
                (self.directory / (SEQUENCE + ".tmp")).unlink(missing_ok=True)
        except BaseException:
            self.close()
            raise
        return self

    @property
    def index(self) -> ManifestIndex:
        assert self._index is not None, "CorpusStore.open() first"
        return self._index

    @contextmanager
    def transaction(self) -> Iterator[CorpusStore]:
        """Hold the folder's lock, up to date with what other processes wrote; may nest."""
        assert self._lock is not None, "CorpusStore.open() first"
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield self
            finally:
                self._lock_depth -= 1
            return
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self._lock_depth = 1
        try:
            if self._index is None:
                self._index = ManifestIndex(self.directory / LOOKUP)
            self._index.begin()
            self._catch_up()
            yield self
            self._index.commit()
        except BaseException:
            if self._index is not None:
                self._index.rollback()
            raise
        finally:
            self._lock_depth = 0
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    def _catch_up(self) -> None:
        """Index the manifest lines appended since the index was last written; finish dead writes.

        Called with the lock held, so a torn last line was left by a writer that
        died: it is cut off before anything is appended after it.
        """
        index = self.index
        assert self._manifest is not None
        size = os.fstat(self._manifest).st_size
        self._read_to, self._lines, tail_offset, tail, next_number = index.covered()
        # Others only append, under the lock: the manifest is checked against the index once.
        if (
            self._read_to > size
            or not self._checked
            and line_digest(os.pread(self._manifest, self._read_to - tail_offset, tail_offset))
            != (tail or line_digest(b""))
        ):
            logger.warning(
                "%s changed beneath its lookup index: rebuilding %s",
                self.directory / MANIFEST,
                LOOKUP,
            )
            index.reset()
            self._read_to = self._lines = 0
        if size - self._read_to > _BULK_BYTES:
            index.bulk()
        # Anything else raises the next free number in the index: read it again after.
        changed = size > self._read_to or not self._checked or index.fresh
        if size > self._read_to:
            self._index_lines(size)
        if not self._checked or index.fresh:
            index.indexed()
        if index.fresh:
            self._sweep()
            index.fresh = False
        changed = self._finish_dead_writes() or changed
        if not self._checked:
            sequence = self.directory / SEQUENCE
            index.raise_next_number(int(sequence.read_text() or 0) if sequence.exists() else 0)
            self._checked = True
        self.next_number = max(self.next_number, index.covered()[4] if changed else next_number)

    def _index_lines(self, size: int) -> None:
        """Index the manifest from ``_read_to`` to ``size``, cutting a torn last line."""
        path = self.directory / MANIFEST
        batch: list[tuple[dict[str, Any], int, int]] = []
        tail = (0, b"")
        with path.open("rb") as stream:
            stream.seek(self._read_to)
            for line in stream:
                number = self._lines + 1
                try:
                    if not line.endswith(b"\n"):
                        raise ManifestError(f"{path} line {number}: no newline at its end")
                    entry = parse_entry(line, path, number)
                except ManifestError as error:
                    if stream.tell() < size:
                        raise
                    logger.warning("%s; cut that torn last line (%d bytes)", error, len(line))
                    os.ftruncate(self._manifest, self._read_to)  # type: ignore[arg-type]
                    break
                batch.append((entry, self._read_to, len(line)))
                tail = (self._read_to, line)
                self._read_to += len(line)
                self._lines = number
                if len(batch) == _BATCH:
                    self._take_in(batch, tail)
                    self.index.commit()  # a kill -9 while indexing a big manifest resumes from here
                    self.index.begin()
                    batch = []
        if batch:
            self._take_in(batch, tail)

    def _take_in(
        self,
        batch: list[tuple[dict[str, Any], int, int]],
        tail: tuple[int, bytes],
        known: bool = False,
    ) -> None:
        after = self.index.take_in(batch, known=known)
        self.index.set_covered(self._read_to, self._lines, tail[0], line_digest(tail[1]), after)

    def _sweep(self) -> None:
        """Check the whole folder against a newly built index: remove temporary and unlisted files."""
        names = []
        for item in os.scandir(self.directory):
            if item.name.endswith(".tmp"):
                os.unlink(item.path)
            elif match := _FILE_NAME.match(item.name):
                names.append((item.name, int(match.group(1))))
        for name in self.index.unlisted(names):
            logger.warning("Removed %s: a crash left it out of the manifest", self.directory / name)
            os.unlink(self.directory / name)
        self.index.raise_next_number(max((number + 1 for _, number in names), default=0))

    def _finish_dead_writes(self) -> bool:
        """Undo the file writes of processes that died before appending their manifest line; any?"""
        try:
            with os.scandir(self._incoming) as found:
                left = [(item.name, m) for item in found if (m := _FILE_NAME.match(item.name))]
        except FileNotFoundError:  # removed by hand: nothing was left in it
            self._incoming.mkdir()
            left = []
        for name, match in left:
            number = int(match.group(1))
            path = self.directory / name
            if self.index.listed_file(number) != name and path.exists():
                logger.warning("Removed %s: a crash left it out of the manifest", path)
                path.unlink()
            self.index.raise_next_number(number + 1)
            (self._incoming / name).unlink()
        pending = list(self.index.pending())
        for name, number, new in pending:
            (self.directory / (name + ".tmp")).unlink(missing_ok=True)
            path = self.directory / name
            if new and self.index.listed_file(number) != name and path.exists():
                logger.warning("Removed %s: a crash left it out of the manifest", path)
                path.unlink()
            self.index.raise_next_number(number + 1)
            self.index.done(name)
        return bool(left or pending)

    def _entry(self, number: int) -> dict[str, Any]:
        """The manifest entry that describes article ``number`` now, read from the manifest."""
        where = self.index.latest_line(number)
        if where is None:
            raise KeyError(number)
        offset, length = where
        assert self._manifest is not None
        return json.loads(os.pread(self._manifest, length, offset))

    def __contains__(self, canonical_url: str) -> bool:
        return self.index.number_of(canonical_url) is not None

    def entry_for(self, canonical_url: str) -> dict[str, Any] | None:
        """Return the current manifest entry of an article, if it is in the corpus."""
        number = self.index.number_of(canonical_url)
        return None if number is None else self._entry(number)

    def last_id(self) -> int | None:
        """The highest article number in the manifest, or ``None`` when it lists no article."""
        return self.index.last_number()

    def near_duplicate(self, article: Article) -> dict[str, Any] | None:
        """The entry of a stored article whose body is nearly the same as ``article``'s."""
        number = self.index.nearest(article.fingerprint())
        return None if number is None else self._entry(number)

    def add_duplicate(self, number: int, url: str) -> dict[str, Any] | None:
        """Record that article ``number`` was also found at ``url``; the new entry, or ``None`` if known."""
        with self.transaction():
            entry = self._entry(number)
            seen = entry.get("duplicates", [])
            if canonicalize(url) in {canonicalize(entry["url"]), *map(canonicalize, seen)}:
                return None
            return self._append({**entry, "duplicates": [*seen, url]}, known=True)

    def add(self, article: Article, **fields: Any) -> dict[str, Any]:
        """Store ``article`` under the next number and return its manifest entry."""
        with self.transaction():
            number = self.numbers(self.next_number) if self.numbers else self.next_number
            self.next_number = max(self.next_number, number + 1)
            self._reserve(self.next_number)
            return self._write(number, None, article, fields)

    def _reserve(self, next_number: int) -> None:
        """Note in ``.sequence`` that numbers below ``next_number`` are taken.

        Written in place (numbers only grow, so the new text covers the old): no
        temporary file and rename in a folder that may hold a million files.
        """
        assert self._sequence is not None
        os.pwrite(self._sequence, str(next_number).encode(), 0)

    def update(self, number: int, article: Article, **fields: Any) -> dict[str, Any]:
        """Rewrite article ``number`` with a new text; return its new manifest entry."""
        with self.transaction():
            return self._write(number, self._entry(number), article, fields)

    def _write(
        self, number: int, previous: dict[str, Any] | None, article: Article, fields: dict[str, Any]
    ) -> dict[str, Any]:
        name = previous["file"] if previous else corpus_file_name(number, article.canonical_url)
        text = article.text().encode("utf-8")
        fingerprint = article.fingerprint()
        incoming = self._place(name, text, new=previous is None)
        entry = {
            "id": number,
            "version": previous.get("version", 1) + 1 if previous else 1,
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
        if previous and "duplicates" in previous:
            entry["duplicates"] = previous["duplicates"]
        self._append(entry)
        if incoming is not None:
            incoming.unlink()
        else:
            self.index.done(name)
        return entry

    def _place(self, name: str, text: bytes, new: bool) -> Path | None:
        """Put the file ``name`` in place, whole; return its temporary name, to remove once listed.

        A new file is hard-linked from ``.incoming/`` and stays there until its
        manifest line is appended, so a crash in between is undone. A rewritten
        one is renamed over the old (it is listed either way). Where the
        filesystem makes no hard links, the name is noted in the lookup index
        first, as it was before ``.incoming/``.
        """
        temp = self._incoming / name
        _write_whole(temp, text)
        path = self.directory / name
        try:
            if new and self._hard_links:
                try:
                    os.link(temp, path)
                    return temp
                except FileExistsError:  # unlisted, left by a crash before .incoming/ existed
                    path.unlink()
                    os.link(temp, path)
                    return temp
                except OSError as error:
                    if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
                        raise
                    logger.warning("%s takes no hard links (%s): renaming", self.directory, error)
                    self._hard_links = False
            if new:
                self.index.intend(name, int(name.split("_")[0]), new=True)
            os.replace(temp, path)
        except OSError:
            temp.unlink(missing_ok=True)
            raise
        return None

    def _append(self, entry: dict[str, Any], known: bool = False) -> dict[str, Any]:
        assert self._manifest is not None and self._lock_depth, "inside transaction() only"
        line = entry_line(entry)
        start = self._read_to  # under the lock, so nobody appended since the catch-up
        append_whole(self._manifest, line, start)
        self._read_to += len(line)
        self._lines += 1
        self._take_in([(entry, start, len(line))], (start, line), known)
        return entry

    def close(self) -> None:
        """Flush the manifest to disk."""
        if self._manifest is not None:
            os.fsync(self._manifest)
            os.close(self._manifest)
            self._manifest = None
        if self._index is not None:
            self._index.close()
            self._index = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        if self._sequence is not None:
            os.close(self._sequence)
            self._sequence = None
