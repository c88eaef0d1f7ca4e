"""CDXJ indexes of WARC files, in the format pywb and cdxj-indexer use.

One line per response, revisit, resource or metadata record (request and
warcinfo records are left out): the SURT key of the URL, the 14-digit
timestamp, and a JSON object with ``url``, ``mime``, ``status``, ``digest``,
``length``, ``offset`` and ``filename``. Lines are sorted, so pywb can search
each file. The index of ``DIR/NAME.warc.gz`` is ``DIR/indexes/NAME.warc.gz.cdxj``.
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import surt
from warcio.archiveiterator import ArchiveIterator

from archive.digest import sha1_digest, streamed_sha1_digest
from archive.reader import archive_files, iter_whole_records
from archive.records import WarcRecord

logger = logging.getLogger(__name__)

INDEX_FOLDER = "indexes"
INDEX_SUFFIX = ".cdxj"
INDEXED_TYPES = ("response", "revisit", "resource", "metadata")
_CHUNK = 8192
_PROBES_KEPT = 2048  # bisection steps remembered per index file (about 1 MB)
RUN_LINES = 10_000  # index lines held in memory before a sorted run goes to a temporary file
MERGE_FAN_IN = 200  # index files open at once while merging; more are merged in passes
UNDO_LINES = 64  # the latest lines, never spilled: a write that fails takes its lines back
REVISIT_MIME = "warc/revisit"

_MIME_END = re.compile(r"[;\s]")
_STATUS_LINE = re.compile(rb"^\S+ (\d{3})")
_CONTENT_TYPE = re.compile(rb"\r\ncontent-type:[ \t]*([^\r\n]*)", re.IGNORECASE)


@dataclass(frozen=True)
class IndexEntry:
    """One capture of the index: where the record of ``url`` at ``timestamp`` is."""

    urlkey: str
    timestamp: str
    fields: dict[str, str]

    @property
    def url(self) -> str:
        return self.fields["url"]

    @property
    def is_revisit(self) -> bool:
        return self.fields.get("mime") == REVISIT_MIME

    def line(self) -> str:
        return f"{self.urlkey} {self.timestamp} {json.dumps(self.fields)}"

    def placed(self, filename: str, offset: int, length: int) -> IndexEntry:
        """This entry for its record at ``offset`` (``length`` bytes) of ``filename``."""
        where = {"length": str(length), "offset": str(offset), "filename": filename}
        return IndexEntry(self.urlkey, self.timestamp, self.fields | where)

    @classmethod
    def parse(cls, line: str) -> IndexEntry:
        urlkey, timestamp, fields = line.split(" ", 2)
        return cls(urlkey, timestamp, json.loads(fields))


def url_key(url: str) -> str:
    """The SURT form of ``url`` that pywb sorts and searches by."""
    try:
        return surt.surt(url)
    except Exception:  # noqa: BLE001 - surt raises bare errors on URLs it cannot parse; pywb keys by the URL
        return url


def timestamp(warc_date: str) -> str:
    """``2026-11-23T10:11:30.123Z`` -> ``20261123101130``."""
    return "".join(c for c in warc_date[:19] if c.isdigit())


def _mime(content_type: str | None) -> str | None:
    return _MIME_END.split(content_type, 1)[0].strip() if content_type else None


def make_entry(
    *,
    url: str,
    date: str,
    rec_type: str,
    content_type: str | None,
    status: str | None,
    digest: str | None,
    filename: str,
    offset: int,
    length: int,
) -> IndexEntry:
    """The entry of one record; ``content_type`` is the HTTP one for HTTP records."""
    fields = {"url": url}
    mime = REVISIT_MIME if rec_type == "revisit" else _mime(content_type)
    for name, value in (("mime", mime), ("status", status), ("digest", digest)):
        if value:
            fields[name] = value
    fields |= {"length": str(length), "offset": str(offset), "filename": filename}
    return IndexEntry(url_key(url), timestamp(date), fields)


def _indexed(rec_type: str, url: str | None, content_type: str | None) -> bool:
    """As cdxj-indexer: captures of a URL, but no request records and no warc-fields metadata."""
    if rec_type not in INDEXED_TYPES or not url:
        return False
    return not (rec_type in ("resource", "metadata") and content_type == "application/warc-fields")


def entry_for_record(
    record: WarcRecord, filename: str, offset: int, length: int
) -> IndexEntry | None:
    """The entry of a record we write, from its headers and block; ``None`` for unindexed types."""
    rec_type = record.header("WARC-Type") or ""
    content_type, status = record.content_type, None
    if not _indexed(rec_type, record.header("WARC-Target-URI"), content_type):
        return None
    if (content_type or "").startswith("application/http"):
        head = record.block[: record.block.find(b"\r\n\r\n") + 2]
        found = _STATUS_LINE.match(head)
        status = found.group(1).decode() if found else None
        typed = _CONTENT_TYPE.search(head)
        content_type = typed.group(1).decode("latin-1") if typed else None
    return make_entry(
        url=record.header("WARC-Target-URI") or "",
        date=record.date,
        rec_type=rec_type,
        content_type=content_type,
        status=status,
        digest=record.header("WARC-Payload-Digest"),
        filename=filename,
        offset=offset,
        length=length,
    )


def index_warc(path: str | os.PathLike[str]) -> list[IndexEntry]:
    """Read the entries of any writer's WARC file, in file order (a damaged file up to the damage)."""
    return list(iter_index_warc(path))


def iter_index_warc(path: str | os.PathLike[str]) -> Iterator[IndexEntry]:
    """The entries of a WARC file one by one, in file order, as :func:`index_warc`."""
    name = Path(path).name
    for record, content, offset, length in iter_whole_records(path):
        headers = record.rec_headers
        rec_type = record.rec_type
        if not _indexed(
            rec_type, headers.get_header("WARC-Target-URI"), headers.get_header("Content-Type")
        ):
            continue
        http = record.http_headers if rec_type in ("response", "revisit") else None
        yield make_entry(
            url=headers.get_header("WARC-Target-URI"),
            date=headers.get_header("WARC-Date") or "",
            rec_type=rec_type,
            content_type=http.get_header("Content-Type")
            if http
            else headers.get_header("Content-Type"),
            status=http.get_statuscode() if http else None,
            # As cdxj-indexer: a record without a payload digest is indexed with a computed one.
            digest=headers.get_header("WARC-Payload-Digest")
            or (sha1_digest(content) if content is not None else _streamed_digest(path, offset)),
            filename=name,
            offset=offset,
            length=length,
        )


def _streamed_digest(path: str | os.PathLike[str], offset: int) -> str:
    """The payload digest of the record at ``offset``, one too large to be held in memory."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return streamed_sha1_digest(record.raw_stream)


class UnsortedIndex(ValueError):
    """An index file whose lines are not in order: merging it would give a wrong index."""


def sorted_index_lines(stream: IO[bytes], name: str) -> Iterator[bytes]:
    """The non-blank lines of a sorted index, each ending in a newline; loud if out of order."""
    previous = b""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        if not line.endswith(b"\n"):
            line += b"\n"
        if line < previous:
            raise UnsortedIndex(
                f"{name}: line {number} sorts before the line above it "
                "(delete the index file to have it rebuilt)"
            )
        previous = line
        yield line


IndexSource = tuple[str, Path | IO[bytes]]  # a name for messages, and a file or an open stream


def _source_lines(stack: ExitStack, source: IndexSource) -> Iterator[bytes]:
    name, where = source
    stream = stack.enter_context(where.open("rb")) if isinstance(where, Path) else where
    return sorted_index_lines(stream, name)


def merge_indexes(
    sources: Sequence[IndexSource], scratch: Path, stack: ExitStack
) -> Iterator[bytes]:
    """The lines of the sorted ``sources``, merged; files are opened (and closed) with ``stack``.

    More than :data:`MERGE_FAN_IN` are merged in passes through unnamed temporary files
    in ``scratch``, so the files open at once stay few however many there are.
    """
    pending = list(sources)
    while len(pending) > MERGE_FAN_IN:
        group, pending = pending[:MERGE_FAN_IN], pending[MERGE_FAN_IN:]
        run = stack.enter_context(tempfile.TemporaryFile(dir=scratch))  # noqa: SIM115 - open until merged
        with ExitStack() as inner:
            run.writelines(heapq.merge(*(_source_lines(inner, source) for source in group)))
        run.seek(0)
        pending.append((f"a merged run of {group[0][0]} and others", run))
    return heapq.merge(*(_source_lines(stack, source) for source in pending))


class IndexSorter:
    """Index lines gathered in any order and given back sorted, in memory bounded by ``run_lines``.

    Once ``run_lines`` more lines than :data:`UNDO_LINES` are held, all but the
    last :data:`UNDO_LINES` are sorted and spilled to an unnamed temporary file in
    ``directory`` (gone with the process, even after a ``kill -9``); the runs are
    merged when the lines are read. The lines still held can be taken back, as a
    list's tail is deleted (``del sorter[count:]``), for the records of a write
    that was undone.
    """

    def __init__(self, directory: Path, run_lines: int | None = None) -> None:
        self.directory = directory
        self.run_lines = run_lines or RUN_LINES
        self._lines: list[str] = []  # in the order added
        self._runs: list[IO[str]] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __delitem__(self, tail: slice) -> None:
        drop = self._count - tail.start
        if tail.stop is not None or tail.step is not None or drop > len(self._lines):
            raise IndexError("only the tail of the lines not spilled yet can be deleted")
        if drop > 0:
            del self._lines[len(self._lines) - drop :]
            self._count = tail.start

    def append(self, entry: IndexEntry) -> None:
        self._lines.append(entry.line())
        self._count += 1
        if len(self._lines) >= self.run_lines + UNDO_LINES:
            self._spill()

    def _spill(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        spilled, self._lines = self._lines[:-UNDO_LINES], self._lines[-UNDO_LINES:]
        run = tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.directory)  # noqa: SIM115 - open until merged
        run.writelines(line + "\n" for line in sorted(spilled))
        run.seek(0)
        self._runs.append(run)

    def sorted_lines(self) -> Iterator[str]:
        """Every line added, sorted as ``sorted()`` would."""
        runs = [(line.rstrip("\n") for line in run) for run in self._runs]
        return heapq.merge(*runs, sorted(self._lines))

    def close(self) -> None:
        for run in self._runs:
            run.close()
        self._runs, self._lines, self._count = [], [], 0


def index_path(warc: str | os.PathLike[str]) -> Path:
    """Where the index of ``warc`` lives."""
    path = Path(warc)
    return path.parent / INDEX_FOLDER / (path.name + INDEX_SUFFIX)


def write_index(
    warc: str | os.PathLike[str], entries: Iterable[IndexEntry] | IndexSorter | None = None
) -> Path:
    """Write the sorted index of ``warc`` (read from the file unless ``entries`` are given), atomically."""
    target = index_path(warc)
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(entries, IndexSorter):
        sorter = entries
    else:
        sorter = IndexSorter(target.parent)
        for entry in iter_index_warc(warc) if entries is None else entries:
            sorter.append(entry)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("w", encoding="utf-8") as stream:
            stream.writelines(line + "\n" for line in sorter.sorted_lines())
    finally:
        sorter.close()
    os.replace(partial, target)
    return target


def has_fresh_index(warc: Path) -> bool:
    """Whether ``warc`` has an index written after the file's last change."""
    index = index_path(warc)
    return index.exists() and index.stat().st_mtime >= warc.stat().st_mtime


def _stored_entries(index: Path) -> Iterator[IndexEntry]:
    with index.open(encoding="utf-8") as lines:
        yield from (IndexEntry.parse(line) for line in lines if line.strip())


def warc_entries(warc: Path) -> list[IndexEntry]:
    """The entries of ``warc``: from its index when fresh, else read from the file itself."""
    return list(_stored_entries(index_path(warc))) if has_fresh_index(warc) else index_warc(warc)


def ensure_indexes(directory: str | os.PathLike[str]) -> list[Path]:
    """Index every finished WARC file of ``directory`` that has no index or an older one."""
    written = []
    for warc in archive_files(Path(directory)):
        if not has_fresh_index(warc):
            written.append(write_index(warc))
            logger.info("Indexed %s", warc)
    return written


def read_index(directory: str | os.PathLike[str]) -> Iterator[IndexEntry]:
    """Every entry of the indexes of ``directory``'s WARC files, file by file."""
    for warc in archive_files(Path(directory)):
        index = index_path(warc)
        if index.exists():
            yield from _stored_entries(index)


class SortedIndex:
    """One sorted CDXJ file, searched by bisection as pywb does: a lookup reads a few lines of it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self._fd).st_size
        self._probes: dict[int, tuple[int, bytes]] = {}

    def close(self) -> None:
        os.close(self._fd)

    def _line_at(self, start: int) -> bytes:
        """The line that starts at byte ``start``, with its newline (positional reads: thread-safe)."""
        chunks, position = [], start
        while chunk := os.pread(self._fd, _CHUNK, position):
            end = chunk.find(b"\n")
            if end >= 0:
                chunks.append(chunk[: end + 1])
                break
            chunks.append(chunk)
            position += len(chunk)
        return b"".join(chunks)

    def _line_from(self, position: int) -> tuple[int, bytes]:
        """The first line that starts at ``position`` or after: its start and its bytes."""
        if position == 0:
            return 0, self._line_at(0)
        known = self._probes.get(position)
        if known is not None:
            return known
        chunk = os.pread(self._fd, _CHUNK, position - 1)
        end = chunk.find(b"\n")
        if end < 0:  # a line longer than a chunk
            start = position - 1 + len(self._line_at(position - 1))
            return start, self._line_at(start)
        start = position + end
        line_end = chunk.find(b"\n", end + 1)
        line = chunk[end + 1 : line_end + 1] if line_end >= 0 else self._line_at(start)
        if len(self._probes) < _PROBES_KEPT:  # the first steps of every search are the same
            self._probes[position] = (start, line)
        return start, line

    def _lower_bound(self, key: bytes) -> int:
        """Where the first line not sorting before ``key`` starts (the size if none)."""
        low, high = 0, self.size  # both line starts (or the end); the answer lies between them
        while low < high:
            start, line = self._line_from((low + high) // 2)
            if start >= high:  # no line starts in the upper half: step over the line at low
                line = self._line_at(low)
                if line >= key:
                    return low
                low += len(line)
            elif line < key:
                low = start + len(line)
            else:
                high = start
        return low

    def lines_with(self, prefix: bytes) -> Iterator[bytes]:
        """The lines that start with ``prefix``, in file order."""
        start = self._lower_bound(prefix)
        while start < self.size and (line := self._line_at(start)).startswith(prefix):
            yield line
            start += len(line)

    def entries(self, urlkey: str) -> list[IndexEntry]:
        """The entries of ``urlkey``, in file order."""
        return [
            IndexEntry.parse(line.decode("utf-8"))
            for line in self.lines_with(urlkey.encode("utf-8") + b" ")
        ]

    def __len__(self) -> int:
        count, position = 0, 0
        while chunk := os.pread(self._fd, 1 << 20, position):
            count += chunk.count(b"\n")
            position += len(chunk)
        return count
