"""Read WARC files plainly with warcio, to check what the archive wrote."""

from __future__ import annotations

import os
from collections.abc import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord


def iter_records(path: str | os.PathLike[str]) -> Iterator[tuple[ArcWarcRecord, int, int]]:
    """Yield ``(record, offset, length)`` for every record of one WARC file."""
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            record.content_stream().read()
            yield record, iterator.get_record_offset(), iterator.get_record_length()


def read_record_at(path: str | os.PathLike[str], offset: int) -> ArcWarcRecord:
    """Return the record that starts at ``offset`` in ``path``."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        return next(iter(ArchiveIterator(stream)))
