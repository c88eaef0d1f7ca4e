"""Archived HTTP responses in archive order, revisits resolved, with their crawl context.

Reads WARC files of any writer: ours (request record after its response, bodies
stored de-chunked) and others such as wget (request first, chunked bodies kept
with their ``Transfer-Encoding``). A revisit record yields its own status and
headers with the payload of the record it refers to, found by ``WARC-Refers-To``
or, failing that, by URL and payload digest.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from archive.context import CrawlContext
from archive.reader import iter_whole_records, open_warc

logger = logging.getLogger(__name__)


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


class _Payloads:
    """Where each response's payload is, to resolve revisits."""

    def __init__(self) -> None:
        self.by_id: dict[str, tuple[Path, int]] = {}
        self.by_digest: dict[tuple[str, str], tuple[Path, int]] = {}

    def add(self, page: ArchivedPage, path: Path, digest: str | None) -> None:
        place = (path, int(page.location["offset"]))
        self.by_id[str(page.location["record_id"])] = place
        if digest:
            self.by_digest[(page.url, digest)] = place
            self.by_digest.setdefault(("", digest), place)

    def resolve(
        self, page: ArchivedPage, refers_to: str | None, refers_to_uri: str | None, digest: str
    ) -> bool:
        """Give revisit ``page`` the payload it stands for; ``False`` if the original is not here."""
        place = (
            self.by_id.get(refers_to or "")
            or self.by_digest.get((refers_to_uri or page.url, digest))
            or self.by_digest.get(("", digest))
        )
        if place is None:
            return False
        path, offset = place
        with path.open("rb") as stream:
            stream.seek(offset)
            original = next(iter(ArchiveIterator(stream)))
            page.payload = _payload(original, original.raw_stream.read())
        page.revisit_of = original.rec_headers.get_header("WARC-Record-ID")
        return True


def _payload(record: ArcWarcRecord, block: bytes) -> bytes:
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
    A file still being written is read as ``<path>.open``.
    """
    with open_warc(path) as stream:
        stream.seek(offset)
        iterator = ArchiveIterator(stream)
        record = next(iter(iterator))
        if record.rec_type not in ("response", "revisit") or record.http_headers is None:
            raise ValueError(
                f"{path} at offset {offset}: a {record.rec_type} record, not an HTTP response"
            )
        block = record.raw_stream.read()
        iterator.read_to_end(record)
        return _page(
            record, Path(path), block, offset, iterator.get_record_length()
        ), record.rec_headers


def iter_pages(paths: Iterable[str | os.PathLike[str]]) -> Iterator[ArchivedPage]:
    """Yield the HTTP responses and revisits of ``paths`` in order, each with its request's context.

    A revisit whose original is not in ``paths`` is skipped with a warning.
    """
    payloads = _Payloads()
    for path in map(Path, paths):
        yield from _file_pages(path, payloads)


def _file_pages(path: Path, payloads: _Payloads) -> Iterator[ArchivedPage]:
    requests: dict[str, ArcWarcRecord] = {}  # by their own id and by the record they go with
    held: ArchivedPage | None = None  # our writer puts the request after its response
    for record, block, offset, length in iter_whole_records(path):
        headers = record.rec_headers
        if record.rec_type == "request":
            if (
                held is not None
                and headers.get_header("WARC-Concurrent-To") == held.location["record_id"]
            ):
                held.context = CrawlContext.from_record(headers.get_header)
                yield held
                held = None
                continue
            requests[headers.get_header("WARC-Record-ID")] = record
            requests[headers.get_header("WARC-Concurrent-To") or ""] = record
            continue
        if held is not None:
            yield held
            held = None
        if record.rec_type not in ("response", "revisit") or record.http_headers is None:
            continue
        page = _page(record, path, block, offset, length)
        if record.rec_type == "response":
            payloads.add(page, path, headers.get_header("WARC-Payload-Digest"))
        elif not payloads.resolve(
            page,
            headers.get_header("WARC-Refers-To"),
            headers.get_header("WARC-Refers-To-Target-URI"),
            headers.get_header("WARC-Payload-Digest") or "",
        ):
            logger.warning(
                "%s: revisit of %s at offset %s: its original is not in the archive",
                path,
                page.url,
                offset,
            )
            continue
        request = requests.get(headers.get_header("WARC-Concurrent-To") or "") or requests.get(
            str(page.location["record_id"])
        )
        if request is not None:
            page.context = CrawlContext.from_record(request.rec_headers.get_header)
            yield page
        else:
            held = page
    if held is not None:
        yield held


def _page(
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
        payload=_payload(record, block) if record.rec_type == "response" else b"",
        location={
            "filename": path.name,
            "offset": offset,
            "length": length,
            "record_id": headers.get_header("WARC-Record-ID"),
        },
        truncated=headers.get_header("WARC-Truncated"),
    )
