"""Walk the gzip members of a ``.warc.gz`` file and check each holds one whole record."""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

_CHUNK = 1 << 20
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_CHUNK = 1 << 20
_TAIL_WINDOWS = (64 << 10, 1 << 20, 16 << 20)
_HEADS = 1 << 20  # inflated bytes kept of a record whose heads alone are wanted
#: Inflated bytes of one record kept in memory; a larger record is checked as it streams by.
#: Above DOWNLOAD_MAXSIZE's default (20 MiB) with its heads: the crawl's own records fit.
KEEP = 32 << 20


def _is_whole_record(data: bytes | bytearray) -> bool:
    return _holds_whole_record(data, len(data), bytes(data[-4:]))


def _holds_whole_record(head: bytes | bytearray, size: int, tail: bytes) -> bool:
    """Whether an inflated member of ``size`` bytes, starting with ``head`` and ending with
    ``tail``, is one whole WARC record: its heads, then the Content-Length they give, then CRLF
    CRLF."""
    head_end = head.find(b"\r\n\r\n")
    if not head.startswith(b"WARC/") or head_end < 0:
        return False
    match = _LENGTH.search(head, 0, head_end + 2)
    if not match:
        return False
    return size == head_end + 4 + int(match.group(1)) + 4 and tail == b"\r\n\r\n"


class Member(NamedTuple):
    """A gzip member holding one whole WARC record: where it is and what it inflates to."""

    offset: int
    length: int
    #: The inflated record; only its first MiB, its heads, when it is larger than ``keep``.
    data: bytearray
    whole: bool


def complete_members(stream: BinaryIO) -> Iterator[tuple[int, int]]:
    """Yield ``(offset, length)`` of each gzip member holding one whole WARC record.

    Offsets count from where ``stream`` stands. Stops at the first member that is
    cut short, corrupt or not a whole record.
    """
    for member in complete_records(stream, keep=_HEADS):
        yield member.offset, member.length


def complete_records(stream: BinaryIO, keep: int = KEEP) -> Iterator[Member]:
    """:func:`complete_members`, with each member's record, inflated (its CRC checked).

    A record larger than ``keep`` bytes is checked as it streams by and comes with its first
    MiB only: memory stays bounded by ``keep``, whatever the archive holds.
    """
    offset = 0
    pending = b""
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        consumed = 0
        kept = bytearray()
        size = 0
        tail = b""
        data = pending
        pending = b""
        full = False  # the last output filled its limit: zlib may hold more without more input
        while not inflater.eof:
            if not data:
                data = stream.read(_CHUNK)
                if not data and not full:
                    return
            try:
                out = inflater.decompress(data, _CHUNK)
            except zlib.error:
                return
            full = len(out) == _CHUNK
            if len(kept) < keep:
                kept += out[: keep - len(kept)]
            size += len(out)
            tail = (tail + out[-4:])[-4:]
            if inflater.unconsumed_tail:
                consumed += len(data) - len(inflater.unconsumed_tail)
                data = inflater.unconsumed_tail
            else:
                consumed += len(data) - len(inflater.unused_data)
                data = b""
        pending = inflater.unused_data
        if not _holds_whole_record(kept, size, tail):
            return
        if size > keep:
            del kept[_HEADS:]  # its heads are all a reader parses of it
        yield Member(offset, consumed, kept, size <= keep)
        offset += consumed


def next_record_member(stream: BinaryIO, position: int) -> int | None:
    """The offset of the next gzip member at or after ``position`` that starts a WARC record."""
    while True:
        stream.seek(position)
        data = stream.read(
            _SCAN_CHUNK + 4096
        )  # overlap: a member start near the end is checked whole
        if not data:
            return None
        found = data.find(_GZIP_MAGIC)
        while 0 <= found < _SCAN_CHUNK:
            try:
                if (
                    zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
                        data[found : found + 4096], 5
                    )
                    == b"WARC/"
                ):
                    return position + found
            except zlib.error:
                pass
            found = data.find(_GZIP_MAGIC, found + 1)
        if len(data) <= _SCAN_CHUNK:
            return None
        position += _SCAN_CHUNK


def whole_members(stream: BinaryIO) -> Iterator[tuple[int, int]]:
    """Yield ``(offset, length)`` of every gzip member holding one whole WARC record.

    Unlike :func:`complete_members`, a damaged span does not end the walk: it goes
    on at the next member that starts a WARC record.
    """
    for member in whole_records(stream, keep=_HEADS):
        yield member.offset, member.length


def whole_records(stream: BinaryIO, start: int = 0, keep: int = KEEP) -> Iterator[Member]:
    """:func:`whole_members` from offset ``start`` on, each member as :func:`complete_records`
    gives it."""
    position = start
    while True:
        stream.seek(position)
        end = position
        for member in complete_records(stream, keep):
            yield member._replace(offset=position + member.offset)
            end = position + member.offset + member.length
        found = next_record_member(stream, end + 1)
        if found is None:
            return
        position = found


def _ends_with_whole_member(tail: bytes) -> bool | None:
    """Whether the last gzip member that ends in ``tail`` holds a whole record and ends at its end.

    ``None`` when no member ends within ``tail``.
    """
    view = memoryview(tail)
    found = tail.rfind(_GZIP_MAGIC)
    while found >= 0:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            record = inflater.decompress(view[found:])
        except zlib.error:
            record = b""
        if inflater.eof:  # the last member that ends: the file ends with it, or with torn bytes
            return not inflater.unused_data and _is_whole_record(record)
        found = tail.rfind(_GZIP_MAGIC, 0, found)
    return None


def whole_end(path: str | os.PathLike[str]) -> int:
    """Where the last whole record of a ``.warc.gz`` file ends: its size unless its tail is torn.

    The tail is checked first; only a file that does not end with a whole member
    (or whose last member is larger than 16 MiB) is read from the start, past any
    damaged span in its middle.
    """
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        for window in _TAIL_WINDOWS:
            stream.seek(max(0, size - window))
            verdict = _ends_with_whole_member(stream.read()) if size else True
            if verdict:
                return size
            if verdict is False or window >= size:
                break
        end = 0
        for offset, length in whole_members(stream):
            end = offset + length
        return end


def damaged_spans(path: str | os.PathLike[str]) -> list[tuple[int, int]]:
    """The ``(start, end)`` byte ranges of a ``.warc.gz`` file that hold no whole record."""
    spans = []
    with open(path, "rb") as stream:
        end = 0
        for offset, length in whole_members(stream):
            if offset > end:
                spans.append((end, offset))
            end = offset + length
        size = os.fstat(stream.fileno()).st_size
    if size > end:
        spans.append((end, size))
    return spans
