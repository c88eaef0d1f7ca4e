"""Read records back from WARC files (ours or any other writer's) with warcio."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord


@dataclass
class StoredResponse:
    """An archived HTTP response: where it is and what it says.

    ``body`` is the payload as stored: still content-encoded, as the server sent it.
    """

    url: str
    date: str
    record_id: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    filename: str
    offset: int
    length: int


def archive_files(directory: Path) -> list[Path]:
    """The finished WARC files of ``directory`` in the order they were written (their names sort so)."""
    files = [path for path in directory.iterdir() if path.name.endswith((".warc.gz", ".warc"))]
    return sorted(files, key=lambda path: path.name)


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


def _stored(record: ArcWarcRecord, iterator: ArchiveIterator, filename: str) -> StoredResponse:
    assert record.http_headers is not None
    body = record.raw_stream.read()
    return StoredResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        date=record.rec_headers.get_header("WARC-Date"),
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        status=int(record.http_headers.get_statuscode() or 0),
        headers=list(record.http_headers.headers),
        body=body,
        filename=filename,
        offset=iterator.get_record_offset(),
        length=iterator.get_record_length(),
    )


def read_response_at(path: str | os.PathLike[str], offset: int) -> StoredResponse:
    """Return the response record that starts at ``offset`` in ``path``."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        iterator = ArchiveIterator(stream)
        record = next(iter(iterator))
        if record.rec_type != "response" or record.http_headers is None:
            raise ValueError(f"{path} at {offset}: a {record.rec_type} record, not an HTTP response")
        return _stored(record, iterator, Path(path).name)


def iter_responses(path: str | os.PathLike[str]) -> Iterator[StoredResponse]:
    """Yield every ``response`` record of ``path``."""
    name = Path(path).name
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            if record.rec_type == "response" and record.http_headers is not None:
                yield _stored(record, iterator, name)
