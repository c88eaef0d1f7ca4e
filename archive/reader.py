"""Read records back from WARC files (ours or any other writer's) with warcio."""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from archive.members import next_record_member

logger = logging.getLogger(__name__)

#: What a damaged file raises when read past its last good record.
UNREADABLE = (ArchiveLoadFailed, zlib.error, EOFError)


def archive_files(directory: Path) -> list[Path]:
    """The finished WARC files of ``directory`` in the order they were written (their names sort so)."""
    files = [path for path in directory.iterdir() if path.name.endswith((".warc.gz", ".warc"))]
    return sorted(files, key=lambda path: path.name)


def iter_whole_records(path: str | os.PathLike[str]) -> Iterator[tuple[ArcWarcRecord, bytes, int, int]]:
    """Yield ``(record, content, offset, length)`` for each whole record of ``path``.

    ``content`` is what follows the HTTP head (the whole block for other records).
    A damaged ``.warc.gz`` is read around the damage: at bytes that are no WARC
    record, reading goes on at the next gzip member that holds one; a record the
    file ends inside of is left out. Each skip is logged as an error naming the
    file and the offsets.
    """
    start = 0
    with open(path, "rb") as stream:
        while start is not None:
            stream.seek(start)
            iterator = ArchiveIterator(stream)
            end = start
            try:
                for record in iterator:
                    if not record.format.startswith("warc"):  # warcio would take any text for an ARC record
                        raise ArchiveLoadFailed(f"not a WARC record: {record.format}")
                    content = record.raw_stream.read()
                    iterator.read_to_end(record)
                    if getattr(record.raw_stream, "limit", 0):
                        logger.error("%s: the file ends inside the record at offset %d; it is left out", path, end)
                        return
                    offset, length = start + iterator.get_record_offset(), iterator.get_record_length()
                    end = offset + length
                    yield record, content, offset, length
                if end < os.fstat(stream.fileno()).st_size:  # reading stopped short of the end
                    logger.error("%s: the file ends inside the record at offset %d; it is left out", path, end)
                return
            except UNREADABLE as error:
                start = next_record_member(stream, end + 1) if str(path).endswith(".gz") else None
                resumed = f"reading goes on at offset {start}" if start is not None else "nothing after it is read"
                logger.error("%s: no WARC record at offset %d (%s); %s", path, end, str(error)[:60], resumed)


def iter_records(path: str | os.PathLike[str]) -> Iterator[tuple[ArcWarcRecord, int, int]]:
    """Yield ``(record, offset, length)`` for every record of one WARC file."""
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            record.content_stream().read()
            yield record, iterator.get_record_offset(), iterator.get_record_length()


def read_record_at(path: str | os.PathLike[str], offset: int) -> ArcWarcRecord:
    """Return the record that starts at ``offset`` in ``path``, its content read."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        record.raw_body = record.content_stream().read()  # type: ignore[attr-defined]
        return record
