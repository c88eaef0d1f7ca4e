"""Walk the gzip members of a ``.warc.gz`` file and check each holds one whole record."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

_CHUNK = 1 << 20
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


def _is_whole_record(data: bytes) -> bool:
    head_end = data.find(b"\r\n\r\n")
    if not data.startswith(b"WARC/") or head_end < 0:
        return False
    match = _LENGTH.search(data, 0, head_end + 2)
    if not match:
        return False
    return len(data) == head_end + 4 + int(match.group(1)) + 4 and data.endswith(b"\r\n\r\n")


def complete_members(stream: BinaryIO) -> Iterator[tuple[int, int]]:
    """Yield ``(offset, length)`` of each gzip member holding one whole WARC record.

    Stops at the first member that is cut short, corrupt or not a whole record.
    """
    offset = 0
    pending = b""
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        consumed = 0
        record = bytearray()
        data = pending
        pending = b""
        while not inflater.eof:
            if not data:
                data = stream.read(_CHUNK)
                if not data:
                    return
            try:
                record += inflater.decompress(data)
            except zlib.error:
                return
            consumed += len(data) - len(inflater.unused_data)
            data = b""
        pending = inflater.unused_data
        if not _is_whole_record(bytes(record)):
            return
        yield offset, consumed
        offset += consumed
