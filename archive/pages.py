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
from pathlib import Path

from warcio.recordloader import ArcWarcRecord

from archive.capture import ArchivedPage, archived_page
from archive.context import CrawlContext
from archive.reader import iter_whole_records
from archive.revisits import RevisitTarget, resolve
from archive.skim import skim_records

logger = logging.getLogger(__name__)


class _Payloads:
    """Where each response read so far is, to find the originals of revisits."""

    def __init__(self) -> None:
        self.by_id: dict[str, tuple[Path, int]] = {}
        self.by_digest: dict[tuple[str, str], tuple[Path, int]] = {}

    def add(self, page: ArchivedPage, path: Path, digest: str | None) -> None:
        """Note where ``page``, a full response of ``path``, is."""
        place = (path, int(page.location["offset"]))
        self.by_id[str(page.location["record_id"])] = place
        if digest:
            self.by_digest[(page.url, digest)] = place
            self.by_digest.setdefault(("", digest), place)

    def locate(self, target: RevisitTarget) -> tuple[Path, int] | None:
        """By ``WARC-Refers-To``, else the latest of the URI and digest, else the first of the digest."""
        return (
            self.by_id.get(target.refers_to or "")
            or self.by_digest.get((target.original_uri, target.digest))
            or self.by_digest.get(("", target.digest))
        )


def _resolved(
    page: ArchivedPage, target: RevisitTarget, payloads: _Payloads, skimmed: bool
) -> bool:
    """Give revisit ``page`` its original's payload, or only its place when ``skimmed``."""
    if not skimmed:
        return resolve(page, target, payloads) is not None
    place = payloads.locate(target)
    if place is not None:
        page.payload_at = (str(place[0]), place[1], 0)
    return place is not None


def iter_pages(
    paths: Iterable[str | os.PathLike[str]], payloads: bool = True
) -> Iterator[ArchivedPage]:
    """Yield the HTTP responses and revisits of ``paths`` in order, each with its request's context.

    A revisit whose original is not in ``paths`` is skipped with a warning. With
    ``payloads=False``, a file with a fresh CDXJ index is walked by it
    (:mod:`archive.skim`): its pages come with an empty payload and
    ``payload_at`` saying where to read it (the original's record for a revisit);
    other files are read whole as with ``payloads=True``.
    """
    places = _Payloads()
    for path in map(Path, paths):
        skimmed = None if payloads else skim_records(path)
        if skimmed is None:
            yield from _file_pages(path, iter_whole_records(path), places)
        else:
            yield from _file_pages(path, skimmed, places)


def _file_pages(
    path: Path, records: Iterable[tuple[ArcWarcRecord, bytes | None, int, int]], payloads: _Payloads
) -> Iterator[ArchivedPage]:
    """The pages of ``records`` of ``path``; a record whose content is ``None`` was not read."""
    requests: dict[str, ArcWarcRecord] = {}  # by their own id and by the record they go with
    held: ArchivedPage | None = None  # our writer puts the request after its response
    for record, block, offset, length in records:
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
        page = archived_page(record, path, block or b"", offset, length)
        if record.rec_type == "response":
            payloads.add(page, path, headers.get_header("WARC-Payload-Digest"))
            if block is None:
                page.payload_at = (str(path), offset, length)
        elif not _resolved(page, RevisitTarget.of(headers), payloads, block is None):
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
