"""Read records back from WARC files (ours or any other writer's) with warcio."""

from __future__ import annotations

import io
import logging
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException

from archive.members import whole_records

logger = logging.getLogger(__name__)

#: What a damaged file raises when read past its last good record.
UNREADABLE = (ArchiveLoadFailed, zlib.error, EOFError)
#: What warcio raises for a whole record whose heads are wrong: without the
#: WARC-Target-URI a response must have, AttributeError (it reads the URI as a string).
MALFORMED = (*UNREADABLE, StatusAndHeadersParserException, ValueError, AttributeError, TypeError)
#: The suffix of a WARC file while its writer appends to it.
OPEN_SUFFIX = ".open"


_LOADER = ArcWarcRecordLoader()  # holds only its parsers: one serves every record


def parse_record(data: bytes | bytearray) -> ArcWarcRecord:
    """The WARC record that ``data`` (inflated) starts with, as warcio's ArchiveIterator parses
    it: its heads parsed, ``raw_stream`` the rest of its block. Without an iterator and a
    loader made for each record, a third cheaper for a record's heads."""
    return _LOADER.parse_record_stream(io.BytesIO(data), known_format="warc")


def archive_files(directory: Path) -> list[Path]:
    """The finished WARC files of ``directory`` in the order they were written (their names sort
    so). An entry with a WARC name that is no file to read (a folder, a broken or looping link, no
    permission, nothing in it) is left out with an error naming it."""
    files, left_out = scan_archive(directory)
    for problem in left_out:
        logger.error("%s; left out", problem)
    return files


def scan_archive(directory: Path) -> tuple[list[Path], list[str]]:
    """:func:`archive_files` without logging: the files, and why each entry left out is, as
    ``"PATH: reason"``."""
    named = [path for path in directory.iterdir() if path.name.endswith((".warc.gz", ".warc"))]
    files = []
    left_out = []
    for path in sorted(named, key=lambda path: path.name):
        problem = _unreadable(path)
        if problem:
            left_out.append(f"{path}: {problem}")
        else:
            files.append(path)
    return files, left_out


def _unreadable(path: Path) -> str | None:
    """Why ``path`` is no WARC file to read, or ``None``."""
    try:
        if not path.is_file():
            return "not a file" if path.exists() else "a link to nothing (broken or looping)"
        if not os.access(path, os.R_OK):
            return "cannot be read (no permission)"
        if path.stat().st_size == 0:
            return "empty (0 bytes): no record"
    except OSError as error:  # a link that loops
        return f"cannot be read ({error.strerror})"
    return None


def open_warc(path: str | os.PathLike[str]) -> BinaryIO:
    """Open WARC file ``path`` to read, or its ``.open`` form while a writer still appends to it.

    Records are readable there as soon as the writer returns their location (it
    writes unbuffered). A file renamed between the tries is opened by its final name.
    """
    final = Path(path)
    try:
        return final.open("rb")
    except FileNotFoundError:
        pass
    try:
        return final.with_name(final.name + OPEN_SUFFIX).open("rb")
    except FileNotFoundError:
        return final.open("rb")  # finalised meanwhile; if not, the error names the final file


def iter_whole_records(
    path: str | os.PathLike[str], start: int = 0
) -> Iterator[tuple[ArcWarcRecord, bytes | None, int, int]]:
    """Yield ``(record, content, offset, length)`` for each whole record of ``path`` (of a
    ``.warc.gz`` file, from offset ``start`` on: a record starts there).

    ``content`` is what follows the HTTP head (the whole block for other records); ``None`` for
    a record larger than :data:`~archive.members.KEEP` inflated, which is checked but not held
    in memory (read it with :func:`~archive.capture.read_capture` where it is wanted).
    A damaged ``.warc.gz`` is read around the damage: each gzip member is checked
    (its CRC, one whole record) before it is parsed, and bytes that hold no whole
    record are passed over to the next member that starts one. Only the damaged
    records are lost; each damaged span is logged as an error naming the file and
    its byte range.
    """
    if not str(path).endswith(".gz"):
        if start:
            raise ValueError(f"{path}: an uncompressed WARC file is read from its start")
        yield from _iter_plain_records(path)
        return
    with open(path, "rb") as stream:
        expected = start
        for member in whole_records(stream, start):
            offset, length = member.offset, member.length
            if offset > expected:
                _damaged(path, expected, offset)
            expected = offset + length
            try:
                record = parse_record(member.data)
            except MALFORMED as error:
                logger.error(
                    "%s: bytes %d-%d hold a WARC record that cannot be read (%s); left out",
                    path,
                    offset,
                    expected,
                    _why_malformed(member.data, error),
                )
                continue
            yield record, record.raw_stream.read() if member.whole else None, offset, length
        size = os.fstat(stream.fileno()).st_size
        if size > expected:
            _damaged(path, expected, size)


def _why_malformed(data: bytes | bytearray, error: Exception) -> str:
    head = bytes(data[: data.find(b"\r\n\r\n")]).lower()
    if b"\r\nwarc-target-uri:" not in head and b"\r\nwarc-type: warcinfo" not in head:
        return "no WARC-Target-URI"
    return f"{type(error).__name__}: {error}"


def _damaged(path: str | os.PathLike[str], start: int, end: int) -> None:
    logger.error(
        "%s: bytes %d-%d hold no whole WARC record (damaged or cut short); left out",
        path,
        start,
        end,
    )


def _iter_plain_records(
    path: str | os.PathLike[str],
) -> Iterator[tuple[ArcWarcRecord, bytes, int, int]]:
    """An uncompressed WARC file's records, up to the first that cannot be read."""
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        end = 0
        try:
            for record in iterator:
                if not record.format.startswith(
                    "warc"
                ):  # warcio would take any text for an ARC record
                    raise ArchiveLoadFailed(f"not a WARC record: {record.format}")
                content = record.raw_stream.read()
                iterator.read_to_end(record)
                if getattr(record.raw_stream, "limit", 0):
                    break
                offset, length = iterator.get_record_offset(), iterator.get_record_length()
                end = offset + length
                yield record, content, offset, length
        except MALFORMED:
            pass
        size = os.fstat(stream.fileno()).st_size
        if size > end:
            _damaged(path, end, size)
