"""A record larger than memory should hold (another tool's video, say) is read as it streams by."""

from __future__ import annotations

import io
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from archive.capture import read_response
from archive.digest import streamed_sha1_digest
from archive.members import complete_records
from archive.reader import iter_whole_records
from corpus.extract import DEFAULT_OPTIONS
from scraper.fromarchive import HEADS_ROOM, ArchivedBody, extract_archived

MiB = 1 << 20
URL = "https://a.example/2026/film.mp4"


def write_member(stream: io.BufferedWriter | io.BytesIO, payload_mib: int, *, digest: bool) -> None:
    """One gzip member holding a response record whose payload is ``payload_mib`` MiB of zeros,
    written a MiB at a time."""
    http_head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {payload_mib * MiB}\r\n\r\n"
    )
    block_length = len(http_head) + payload_mib * MiB
    heads = [
        "WARC/1.1",
        "WARC-Type: response",
        f"WARC-Target-URI: {URL}",
        "WARC-Date: 2026-11-20T10:00:00Z",
        "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>",
        "Content-Type: application/http; msgtype=response",
        f"Content-Length: {block_length}",
    ]
    if digest:
        heads.append(f"WARC-Payload-Digest: {zeros_digest(payload_mib)}")
    deflater = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    stream.write(deflater.compress(("\r\n".join(heads) + "\r\n\r\n" + http_head).encode()))
    chunk = bytes(MiB)
    for _ in range(payload_mib):
        stream.write(deflater.compress(chunk))
    stream.write(deflater.compress(b"\r\n\r\n") + deflater.flush())


def zeros_digest(mib: int) -> str:
    """The WARC digest of ``mib`` MiB of zeros, without holding them."""
    return streamed_sha1_digest(Zeros(mib * MiB))


class Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return bytes(size)


def test_a_record_above_keep_is_checked_whole_and_held_only_in_part() -> None:
    stream = io.BytesIO()
    write_member(stream, 1, digest=True)
    first = stream.tell()
    write_member(stream, 3, digest=True)
    second = stream.tell()
    write_member(stream, 0, digest=True)
    stream.seek(0)
    members = list(complete_records(stream, keep=64 << 10))
    assert [(m.offset, m.length, m.whole) for m in members] == [
        (0, first, False),
        (first, second - first, False),
        (second, len(stream.getvalue()) - second, True),
    ]
    assert [len(m.data) for m in members[:2]] == [64 << 10, 64 << 10]  # under a MiB: kept
    assert members[1].data.startswith(b"WARC/1.1\r\n")
    stream.seek(0)
    held = list(complete_records(stream))  # under KEEP: each held whole, as before
    assert [(m.offset, m.length, m.whole) for m in held] == [
        (m.offset, m.length, True) for m in members
    ]
    assert len(held[1].data) > 3 * MiB


def test_a_large_record_whose_length_is_wrong_is_not_whole() -> None:
    """Checked as it streams by, a record is still measured against its Content-Length."""
    stream = io.BytesIO()
    write_member(stream, 2, digest=True)
    data = zlib.decompress(stream.getvalue(), 16 + zlib.MAX_WBITS)
    short = data.replace(b"Content-Length: 2097", b"Content-Length: 1097", 1)  # the WARC head's
    deflater = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    member = deflater.compress(short) + deflater.flush()
    assert list(complete_records(io.BytesIO(member), keep=4096)) == []


def test_replay_and_indexing_hold_a_large_record_in_part(tmp_path: Path) -> None:
    warc = tmp_path / "other-tool.warc.gz"
    with warc.open("wb") as stream:
        write_member(stream, 80, digest=False)
    [(record, content, offset, length)] = list(iter_whole_records(warc))
    assert record.rec_headers.get_header("WARC-Target-URI") == URL
    assert content is None and offset == 0 and length == warc.stat().st_size


def test_indexing_and_checking_a_large_record_keeps_memory_flat(tmp_path: Path) -> None:
    """A 1.5 GiB record took 4.7 GB to index and to check for damage: each member was inflated
    whole into memory, then copied."""
    payload_mib = 256
    warc = tmp_path / "other-tool.warc.gz"
    with warc.open("wb") as stream:
        write_member(stream, payload_mib, digest=False)
    # VmHWM, not ru_maxrss: that one keeps the peak of the process forked from (pytest's).
    script = (
        "import re, sys\n"
        "from archive.cdxj import index_warc\n"
        "from archive.members import damaged_spans\n"
        "[entry] = index_warc(sys.argv[1])\n"
        "print(entry.fields['digest'], damaged_spans(sys.argv[1]))\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s*(\\d+) kB', status)[1]) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(warc)], capture_output=True, text=True, check=True
    )
    digest_and_spans, peak_mib = done.stdout.splitlines()
    assert digest_and_spans == f"{zeros_digest(payload_mib)} []"
    assert int(peak_mib) < 160, f"peak RSS {peak_mib} MiB for a {payload_mib} MiB record"


def test_a_worker_refuses_a_record_that_inflates_past_download_maxsize(tmp_path: Path) -> None:
    warc = tmp_path / "other-tool.warc.gz"
    with warc.open("wb") as stream:
        write_member(stream, 3, digest=True)
    length = warc.stat().st_size
    with pytest.raises(ValueError, match=r"at offset 0: the record inflates to more than 2097152"):
        read_response(warc, 0, length, limit=2 * MiB)
    assert read_response(warc, 0, length, limit=4 * MiB).payload == bytes(3 * MiB)
    head = [("Content-Type", "video/mp4")]
    body = ArchivedBody(200, head, str(warc), 0, length, max_size=MiB)
    refused = extract_archived(URL, body, DEFAULT_OPTIONS)
    assert refused.undecodable == (
        f"ValueError: {warc} at offset 0: the record inflates to more than {MiB + HEADS_ROOM} bytes"
    )
