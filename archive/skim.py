"""Walk a ``.warc.gz`` file by its CDXJ index, inflating only the heads of indexed records.

The index gives where each response and revisit starts and how long it is, so
its payload need not be inflated to find the next record: only its WARC and HTTP
heads are. The records between indexed ones (requests, warcinfo) are small and
read whole. A reader that wants payloads reads them later, record by record,
possibly in another process.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from warcio.recordloader import ArcWarcRecord

from archive.cdxj import has_fresh_index, index_path
from archive.members import complete_records
from archive.reader import iter_whole_records, parse_record

logger = logging.getLogger(__name__)

_READ = 4 << 10  # compressed bytes read at a time while looking for the end of the heads
_INFLATE = 8 << 10  # bytes inflated at a time: heads are a few KB, payloads are not inflated
_HEAD_END = b"\r\n\r\n"

#: (record, content after the HTTP head or ``None`` when not read, offset, length)
Skimmed = tuple[ArcWarcRecord, bytes | None, int, int]


def indexed_spans(warc: Path) -> list[tuple[int, int]] | None:
    """``(offset, length)`` of the indexed records of ``warc`` in file order; ``None`` without a
    fresh index."""
    if not warc.name.endswith(".warc.gz") or not has_fresh_index(warc):
        return None
    spans = set()
    with index_path(warc).open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            fields = line.split(" ", 2)[2]
            offset = _field(fields, "offset")
            length = _field(fields, "length")
            if offset is None or length is None:
                return None
            spans.add((offset, length))
    return sorted(spans)


def _field(fields: str, name: str) -> int | None:
    key = f'"{name}": "'
    start = fields.find(key)
    if start < 0:
        return None
    start += len(key)
    end = fields.find('"', start)
    value = fields[start:end]
    return int(value) if value.isdigit() else None


def skim_records(warc: Path) -> Iterator[Skimmed] | None:
    """Every record of ``warc`` in file order, indexed ones with their heads only, read as they
    are asked for; ``None`` when the file has no fresh index or one that does not fit it.

    Where the file turns out not to match its index (damage), the rest of it is read whole
    from the last record that matched, as :func:`~archive.reader.iter_whole_records` reads.
    """
    spans = indexed_spans(warc)
    if spans is None:
        return None
    size = warc.stat().st_size
    position = 0
    for offset, length in spans:
        if offset < position or offset + length > size:
            return None
        position = offset + length
    return _skim(warc, spans, size)


def _skim(warc: Path, spans: list[tuple[int, int]], size: int) -> Iterator[Skimmed]:
    """The walk of :func:`skim_records`, record by record."""
    position = 0
    with warc.open("rb") as stream:
        for offset, length in [*spans, (size, 0)]:
            gap = _read_gap(stream, position, offset)
            head = _head(stream, offset, length) if gap is not None and length else None
            if gap is None or (length and head is None):
                logger.warning(
                    "%s does not match its index from offset %d on: read whole from there",
                    warc,
                    position,
                )
                yield from iter_whole_records(warc, position)
                return
            yield from gap
            if head is not None:
                yield head, None, offset, length
            position = offset + length


def _read_gap(stream: BinaryIO, start: int, end: int) -> list[Skimmed] | None:
    """The whole records between ``start`` and ``end``; ``None`` unless they fill it exactly."""
    if start == end:
        return []
    stream.seek(start)
    gap = io.BytesIO(stream.read(end - start))
    covered = 0
    records: list[Skimmed] = []
    for member in complete_records(gap):
        record = parse_record(member.data)
        content = record.raw_stream.read() if member.whole else None
        records.append((record, content, start + member.offset, member.length))
        covered = member.offset + member.length
    return records if covered == end - start else None


def _head(stream: BinaryIO, offset: int, length: int) -> ArcWarcRecord | None:
    """The record at ``offset`` parsed from just enough of its member to hold its heads."""
    stream.seek(offset)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    left = length
    pending = b""
    try:
        while not inflater.eof:
            if not pending:
                if left <= 0:
                    break
                pending = stream.read(min(_READ, left))
                if not pending:
                    return None
                left -= len(pending)
            out += inflater.decompress(pending, _INFLATE)
            pending = inflater.unconsumed_tail
            first = out.find(_HEAD_END)
            if first >= 0 and out.find(_HEAD_END, first + 4) >= 0:
                break
    except zlib.error:
        return None
    if not out.startswith(b"WARC/"):
        return None
    try:
        return parse_record(out)
    except Exception:  # noqa: BLE001 - heads warcio cannot parse: the caller reads the file whole
        return None
