"""Write WARC records to rotating ``.warc.gz`` files, one gzip member per record."""

from __future__ import annotations

import gzip
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from archive.cdxj import IndexEntry, entry_for_record, write_index
from archive.members import complete_members
from archive.records import RecordFactory, WarcRecord

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"


@dataclass(frozen=True)
class RecordLocation:
    """Where a record lives: final file name, byte offset and compressed length."""

    filename: str
    offset: int
    length: int
    record_id: str

    def to_dict(self) -> dict[str, str | int]:
        """The ``warc`` provenance of a manifest entry."""
        return {"filename": self.filename, "offset": self.offset, "length": self.length, "record_id": self.record_id}


class WarcWriter:
    """Append records to ``PREFIX-TIMESTAMP-SERIAL-HOST-PID.warc.gz`` files.

    A file is written as ``*.warc.gz.open``, flushed after every write, and
    fsynced and renamed when closed or rotated at ``max_size`` bytes; its CDXJ
    index is written then, from entries gathered while writing.
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
        hostname: str | None = None,
        pid: int | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.factory = factory or RecordFactory()
        self.info = dict(info or {})
        self.compresslevel = compresslevel
        self.hostname = hostname or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self.serial = 0
        self.filename: str | None = None
        self.finished: list[str] = []
        self._fd: int | None = None
        self._size = 0
        self._warcinfo_id = ""
        self._entries: list[IndexEntry] = []

    def _new_name(self) -> str:
        self.serial += 1
        stamp = self.factory.clock().strftime("%Y%m%d%H%M%S")
        host = _safe_host(self.hostname)
        return f"{self.prefix}-{stamp}-{self.serial:05d}-{host}-{self.pid}.warc.gz"

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.filename = self._new_name()
        path = self.directory / (self.filename + OPEN_SUFFIX)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self._size = 0
        self._entries = []
        warcinfo = self.factory.warcinfo(self.filename, self.info)
        self._warcinfo_id = warcinfo.record_id
        self._append(warcinfo)

    def _append(self, record: WarcRecord) -> RecordLocation:
        assert self._fd is not None and self.filename is not None
        member = gzip.compress(record.to_bytes(), self.compresslevel, mtime=0)
        view = memoryview(member)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        location = RecordLocation(self.filename, self._size, len(member), record.record_id)
        entry = entry_for_record(record, self.filename, self._size, len(member))
        if entry is not None:
            self._entries.append(entry)
        self._size += len(member)
        return location

    def write(self, records: Sequence[WarcRecord]) -> list[RecordLocation]:
        """Write ``records`` together in one file and return where each landed.

        Each record gets the ``WARC-Warcinfo-ID`` of the file it lands in.
        """
        if self._fd is not None and self._size >= self.max_size:
            self.close()
        if self._fd is None:
            self._open()
        for record in records:
            record.set_warcinfo(self._warcinfo_id)
        return [self._append(record) for record in records]

    def close(self) -> None:
        """Fsync and finalise the current file, if any."""
        if self._fd is None or self.filename is None:
            return
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        final = self.directory / self.filename
        os.replace(self.directory / (self.filename + OPEN_SUFFIX), final)
        _fsync_dir(self.directory)
        self.finished.append(self.filename)
        write_index(final, self._entries)
        self._entries = []
        logger.info("Closed WARC file %s (%d bytes) and indexed it", final, self._size)


def _safe_host(hostname: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in hostname)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def repair_open_file(path: Path) -> Path | None:
    """Cut a left-over ``.open`` file back to its last whole record and finalise it.

    Returns the final path, or ``None`` when not even one record survived.
    """
    with path.open("rb") as stream:
        end = 0
        for offset, length in complete_members(stream):
            end = offset + length
    if end == 0:
        path.unlink()
        logger.warning("Removed %s: it held no complete WARC record", path)
        return None
    lost = path.stat().st_size - end
    with path.open("r+b") as stream:
        stream.truncate(end)
        stream.flush()
        os.fsync(stream.fileno())
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    os.replace(path, final)
    write_index(final)
    logger.warning("Repaired %s: cut %d trailing bytes, finalised as %s", path, lost, final.name)
    return final


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
