"""One archived HTTP response read from a WARC response or revisit record.

Reads records of any writer: ours (bodies stored de-chunked) and others such as
wget (chunked bodies kept with their ``Transfer-Encoding``).
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from archive.context import CrawlContext
from archive.reader import MALFORMED, open_warc, parse_record


@dataclass
class ArchivedPage:
    """One archived response: HTTP status, headers and payload (still content-encoded)."""

    url: str
    date: str
    status: int
    headers: list[tuple[str, str]]
    payload: bytes = field(repr=False)
    location: dict[str, str | int]
    context: CrawlContext = CrawlContext()
    truncated: str | None = None
    revisit_of: str | None = None  # the record id whose payload this revisit stands for
    #: where the payload is when it was not read: (WARC file, offset, length or 0 when not known)
    #: of the full response record
    payload_at: tuple[str, int, int] | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def dechunk(data: bytes) -> bytes:
    """Decode a chunked transfer-coding; of a cut or malformed stream, what came before the fault."""
    out = bytearray()
    position = 0
    while True:
        end = data.find(b"\r\n", position)
        if end < 0:
            break
        try:
            size = int(data[position:end].split(b";")[0].strip() or b"x", 16)
        except ValueError:
            break
        if size == 0:
            break
        start = end + 2
        out += data[start : start + size]
        position = start + size + 2
    return bytes(out)


def http_payload(record: ArcWarcRecord, block: bytes) -> bytes:
    """The HTTP payload of a record whose content after the HTTP head is ``block``."""
    assert record.http_headers is not None
    if "chunked" in (record.http_headers.get_header("Transfer-Encoding") or "").lower():
        return dechunk(block)
    return block


def read_capture(
    path: str | os.PathLike[str], offset: int
) -> tuple[ArchivedPage, StatusAndHeaders]:
    """The response or revisit record at ``offset`` of ``path`` and its WARC headers.

    A revisit comes back with an empty payload: resolving it is the caller's part.
    A file still being written is read as ``<path>.open``. ValueError, naming the file and
    the offset, if no whole record of those is there (a file cut short, damaged bytes).
    """
    with open_warc(path) as stream:
        stream.seek(offset)
        iterator = ArchiveIterator(stream)
        try:
            record = next(iter(iterator), None)
            if record is None:
                raise ValueError("no record: the file ends before it (cut short?)")
            if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                raise ValueError(f"a {record.rec_type} record, not an HTTP response")
            block = record.raw_stream.read()
            iterator.read_to_end(record)
        except MALFORMED as error:
            raise ValueError(f"{path} at offset {offset}: {error}") from None
        return archived_page(
            record, Path(path), block, offset, iterator.get_record_length()
        ), record.rec_headers


def read_response(
    path: str | os.PathLike[str], offset: int, length: int, limit: int = 0
) -> ArchivedPage:
    """The full response record of ``length`` bytes at ``offset`` of a ``.warc.gz`` ``path``.

    Reads the member whole and inflates it at once (ISA-L's inflate, about
    twice zlib's speed); ValueError if it is no whole response record, or if it inflates to
    more than ``limit`` bytes (0: no limit), found without inflating more than that.
    """
    with open_warc(path) as stream:
        stream.seek(offset)
        member = stream.read(length)
    data = _inflate(member, limit)
    if data is None:
        raise ValueError(
            f"{path} at offset {offset}: the record inflates to more than {limit} bytes"
        )
    record = parse_record(data)
    if record.rec_type != "response" or record.http_headers is None:
        raise ValueError(f"{path} at offset {offset}: a {record.rec_type} record, not a response")
    return archived_page(record, Path(path), record.raw_stream.read(), offset, length)


def _inflate(member: bytes, limit: int = 0) -> bytes | None:
    """``member`` inflated; ``None`` if that is more than ``limit`` bytes (0: no limit)."""
    inflater = isal_zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(member, limit + 1) if limit else inflater.decompress(member)
    except isal_zlib.error as error:  # type: ignore[misc]  # not a zlib.error, which readers catch
        raise zlib.error(str(error)) from None
    if limit and len(data) > limit:
        return None
    if not inflater.eof:
        raise EOFError("the gzip member ends before its end-of-stream marker")
    return data


def archived_page(
    record: ArcWarcRecord, path: Path, block: bytes, offset: int, length: int
) -> ArchivedPage:
    assert record.http_headers is not None
    headers = record.rec_headers
    return ArchivedPage(
        url=headers.get_header("WARC-Target-URI"),
        date=headers.get_header("WARC-Date"),
        status=int(record.http_headers.get_statuscode() or 0),
        headers=[
            (k, v) for k, v in record.http_headers.headers if k.lower() != "transfer-encoding"
        ],
        payload=http_payload(record, block) if record.rec_type == "response" else b"",
        location={
            "filename": path.name,
            "offset": offset,
            "length": length,
            "record_id": headers.get_header("WARC-Record-ID"),
        },
        truncated=headers.get_header("WARC-Truncated"),
    )
