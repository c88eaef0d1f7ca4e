"""Write WARC records to rotating ``.warc.gz`` files, one gzip member per record.

Not warcio's ``WARCWriter``: its gzip level is fixed at 9 (see archive/records.py), and
its engine is zlib; ours may be ISA-L's (python-isal), about 8 times faster at level 2.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from archive.cdxj import INDEX_FOLDER, IndexEntry, IndexSorter, entry_for_record, write_index
from archive.members import whole_end
from archive.reader import OPEN_SUFFIX
from archive.records import RecordFactory, WarcRecord

logger = logging.getLogger(__name__)


# zlib's window bits for a gzip member (header and trailer; zlib's header has mtime 0).
GZIP_WBITS = 16 + 15
#: The gzip engines a writer can use, with their levels.
GZIP_LEVELS = {"isal": range(4), "zlib": range(10)}


@cache
def member_compressor(engine: str, level: int) -> Callable[[Iterable[bytes]], bytes]:
    """A function that makes one standard gzip member (mtime 0) of its pieces of bytes, one
    after the other, by ``engine`` at ``level``: a record is compressed without being joined.

    ``isal`` (ISA-L, python-isal) at level 2 costs about an eighth of zlib at 6 for a
    16% larger member; both release the GIL while they compress.
    """
    if engine not in GZIP_LEVELS:
        raise ValueError(f"unknown gzip engine {engine!r} (one of {', '.join(GZIP_LEVELS)})")
    if level not in GZIP_LEVELS[engine]:
        levels = GZIP_LEVELS[engine]
        raise ValueError(
            f"gzip level {level} is not one of {engine}'s ({levels[0]} to {levels[-1]})"
        )
    module: Any = zlib
    if engine == "isal":
        from isal import isal_zlib as module

    def compress(pieces: Iterable[bytes]) -> bytes:
        compressor = module.compressobj(level, module.DEFLATED, GZIP_WBITS)
        return b"".join([*map(compressor.compress, pieces), compressor.flush()])

    return compress


@dataclass(frozen=True)
class Packed:
    """Records serialised and compressed, one gzip member each, for the file of ``warcinfo_id``,
    with their index entries but for where they land (``None`` for a record not indexed)."""

    records: tuple[WarcRecord, ...]
    members: tuple[bytes, ...]
    warcinfo_id: str
    entries: tuple[IndexEntry | None, ...]

    def without_payloads(self) -> Packed:
        """The same, its records without their payloads: what another process sends back."""
        return replace(self, records=tuple(replace(r, payload=b"") for r in self.records))

    def with_payload(self, payload: bytes) -> Packed:
        """The same, its first record given back ``payload``, for a writer that must pack it again."""
        first, *others = self.records
        return replace(self, records=(replace(first, payload=payload), *others))


def pack_records(
    records: Sequence[WarcRecord], warcinfo_id: str, compress: Callable[[Iterable[bytes]], bytes]
) -> Packed:
    """Serialise and compress ``records`` for the file whose warcinfo is ``warcinfo_id``.

    The costly part of a write (the digests are made already): the gzip, which releases
    the GIL, and the index entries (the URL's SURT key alone costs 28 us).
    """
    for record in records:
        record.set_warcinfo(warcinfo_id)
    members = tuple(compress(record.chunks()) for record in records)
    entries = tuple(entry_for_record(record, "", 0, 0) for record in records)
    return Packed(tuple(records), members, warcinfo_id, entries)


class WriteFailed(Exception):
    """A record could not be written (a full disk, an I/O error); the file ends at its last whole record."""


def open_exclusive(path: Path) -> BinaryIO:
    """Create ``path`` for unbuffered writing; the writer's default opener."""
    return open(path, "xb", buffering=0)


@dataclass(frozen=True)
class RecordLocation:
    """Where a record lives: final file name, byte offset and compressed length."""

    filename: str
    offset: int
    length: int
    record_id: str

    def to_dict(self) -> dict[str, str | int]:
        """The ``warc`` provenance of a manifest entry."""
        return {
            "filename": self.filename,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
        }


class WarcWriter:
    """Append records to ``PREFIX-TIMESTAMP-SERIAL-HOST-PID.warc.gz`` files.

    A file is written as ``*.warc.gz.open``, flushed after every write, and
    fsynced and renamed when closed or rotated at ``max_size`` bytes; its CDXJ
    index is written then, from entries gathered while writing (sorted in runs
    spilled to temporary files, so memory does not grow with the file).

    A write that fails (``OSError``: a full disk, an I/O error) is undone: the
    file is cut back to its last whole record and :class:`WriteFailed` raised;
    every later write raises it at once. ``opener`` creates the files (tests
    pass one whose writes fail). ``engine`` and ``compresslevel`` choose the gzip
    compression (:func:`member_compressor`).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "news",
        max_size: int = 1_000_000_000,
        factory: RecordFactory | None = None,
        info: dict[str, str] | None = None,
        compresslevel: int = 6,
        engine: str = "zlib",
        hostname: str | None = None,
        pid: int | None = None,
        opener: Callable[[Path], BinaryIO] = open_exclusive,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.factory = factory or RecordFactory()
        self.info = dict(info or {})
        self.compresslevel = compresslevel
        self.engine = engine
        self.compress = member_compressor(engine, compresslevel)
        self.hostname = hostname or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self.serial = 0
        self.filename: str | None = None
        self.finished: list[str] = []
        self.opener = opener
        self.failure: WriteFailed | None = None
        self._file: BinaryIO | None = None
        self._size = 0
        self._warcinfo_id = ""
        self._entries = IndexSorter(
            self.directory / INDEX_FOLDER
        )  # memory bounded however big the file

    def _new_name(self) -> str:
        self.serial += 1
        stamp = self.factory.clock().strftime("%Y%m%d%H%M%S")
        host = _safe_host(self.hostname)
        return f"{self.prefix}-{stamp}-{self.serial:05d}-{host}-{self.pid}.warc.gz"

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.filename = self._new_name()
        path = self.directory / (self.filename + OPEN_SUFFIX)
        self._file = self.opener(path)
        self._size = 0
        self._entries = IndexSorter(self.directory / INDEX_FOLDER)
        warcinfo = self.factory.warcinfo(self.filename, self.info)
        self._warcinfo_id = warcinfo.record_id
        try:
            self._append(warcinfo)
        except OSError as error:
            raise self._undo(0, 0, error) from error

    def _append(
        self, record: WarcRecord, member: bytes | None = None, entry: IndexEntry | None = None
    ) -> RecordLocation:
        """Write ``record`` (as ``member`` when packed) and index it (by ``entry`` when packed)."""
        assert self._file is not None and self.filename is not None
        if member is None:
            member = self.compress(record.chunks())
            entry = entry_for_record(record, "", 0, 0)
        view = memoryview(member)
        while view:
            written = self._file.write(view)
            view = view[written or 0 :]
        location = RecordLocation(self.filename, self._size, len(member), record.record_id)
        if entry is not None:
            self._entries.append(entry.placed(self.filename, self._size, len(member)))
        self._size += len(member)
        return location

    @property
    def warcinfo_id(self) -> str:
        """The id of the warcinfo record of the file open now ("" before the first write)."""
        return self._warcinfo_id

    def pack(self, records: Sequence[WarcRecord]) -> Packed:
        """Serialise and compress ``records`` for the file open now; safe in any thread.

        :func:`pack_records` without the writer's state: :meth:`write_packed` appends the members.
        """
        return pack_records(records, self._warcinfo_id, self.compress)

    def write(self, records: Sequence[WarcRecord]) -> list[RecordLocation]:
        """Write ``records`` together in one file and return where each landed.

        Each record gets the ``WARC-Warcinfo-ID`` of the file it lands in.
        """
        return self.write_packed(Packed(tuple(records), (), "", ()))

    def write_packed(self, packed: Packed) -> list[RecordLocation]:
        """Write records :meth:`pack` made, together in one file, and return where each landed.

        Records packed for another file than the one they land in (the writer opened or
        rotated its file since) are packed again, here, for their ``WARC-Warcinfo-ID``.
        """
        if self.failure is not None:
            raise self.failure
        try:
            if self._file is not None and self._size >= self.max_size:
                self.close()
            if self._file is None:
                self._open()
        except OSError as error:  # creating the file failed
            self.failure = WriteFailed(f"{self.directory}: {error.strerror or error}")
            raise self.failure from error
        if not packed.members or packed.warcinfo_id != self._warcinfo_id:
            packed = self.pack(packed.records)
        start, indexed = self._size, len(self._entries)
        try:
            return [
                self._append(record, member, entry)
                for record, member, entry in zip(
                    packed.records, packed.members, packed.entries, strict=True
                )
            ]
        except OSError as error:
            raise self._undo(start, indexed, error) from error

    def _undo(self, size: int, indexed: int, error: OSError) -> WriteFailed:
        """Cut the open file back to ``size`` bytes, before the records of a failed write.

        Every later write fails with the returned error.
        """
        assert self._file is not None and self.filename is not None
        path = self.directory / (self.filename + OPEN_SUFFIX)
        reason = error.strerror or str(error)
        self._size = size
        del self._entries[indexed:]
        try:
            self._file.truncate(size)
            self._file.seek(size)
        except OSError as undo:
            reason += f"; cutting it back failed too ({undo.strerror}), the next start repairs it"
        self.failure = WriteFailed(f"{path}: {reason}")
        return self.failure

    def close(self) -> None:
        """Fsync and finalise the current file, if any.

        Raises :class:`WriteFailed` when the file cannot be finalised (it is then
        left as ``.open``, whole, for the next start to finalise). An index that
        cannot be written is only logged: readers index such a file themselves.
        """
        if self._file is None or self.filename is None:
            return
        stream, self._file = self._file, None
        partial = self.directory / (self.filename + OPEN_SUFFIX)
        final = self.directory / self.filename
        if self._size == 0:  # not even its warcinfo record could be written
            stream.close()
            partial.unlink(missing_ok=True)
            return
        try:
            try:
                os.fsync(stream.fileno())
            finally:
                stream.close()
            os.replace(partial, final)
            _fsync_dir(self.directory)
        except OSError as error:
            reason = f"could not be finalised ({error.strerror or error}); the next start does it"
            self.failure = self.failure or WriteFailed(f"{partial}: {reason}")
            raise WriteFailed(f"{partial}: {reason}") from error
        self.finished.append(self.filename)
        try:
            write_index(final, self._entries)
        except OSError as error:
            logger.error(
                "%s: its CDXJ index could not be written (%s)", final, error.strerror or error
            )
        self._entries.close()
        logger.info("Closed WARC file %s (%d bytes) and indexed it", final, self._size)


def _safe_host(hostname: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in hostname)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cut(path: Path, end: int) -> int:
    """Cut ``path`` to ``end`` bytes, durably; return how many bytes were cut."""
    lost = path.stat().st_size - end
    with path.open("r+b") as stream:
        stream.truncate(end)
        stream.flush()
        os.fsync(stream.fileno())
    return lost


def repair_open_file(path: Path) -> Path | None:
    """Cut a left-over ``.open`` file back to its last whole record and finalise it.

    Returns the final path, or ``None`` when not even one record survived.
    """
    end = whole_end(path)
    if end == 0:
        path.unlink()
        logger.warning("Removed %s: it held no complete WARC record", path)
        return None
    lost = _cut(path, end)
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    os.replace(path, final)
    write_index(final)
    logger.warning("Repaired %s: cut %d trailing bytes, finalised as %s", path, lost, final.name)
    return final


def repair_torn_tail(path: Path) -> int:
    """Cut a finished ``.warc.gz`` file whose tail is torn back to its last whole record.

    Returns the number of bytes cut (0 when the file ends with a whole record);
    the file's index is rewritten when something was cut.
    """
    end = whole_end(path)
    size = path.stat().st_size
    if end == size:
        return 0
    if end == 0:
        logger.error("%s holds no whole WARC record; it is left as it is", path)
        return 0
    lost = _cut(path, end)
    write_index(path)
    logger.warning(
        "Repaired %s: it ended in a torn record; cut %d bytes from offset %d", path, lost, end
    )
    return lost


def repair_finished_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Check the tail of every finished ``.warc.gz`` file of ``directory``; cut torn tails."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.glob("*.warc.gz")) if repair_torn_tail(path)]


def _written_by_live_process(path: Path) -> bool:
    """Tell whether ``path`` belongs to a process still running on this host."""
    stem = path.name.split(".warc.gz")[0]
    host, _, pid = stem.rpartition("-")
    if not pid.isdigit() or not host.endswith("-" + _safe_host(socket.gethostname())):
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def repair_open_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Repair every ``*.warc.gz.open`` file left in ``directory`` by a dead writer."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    repaired = [
        repair_open_file(path)
        for path in sorted(folder.glob("*.warc.gz" + OPEN_SUFFIX))
        if not _written_by_live_process(path)
    ]
    return [path for path in repaired if path is not None]
