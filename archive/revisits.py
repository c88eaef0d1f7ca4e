"""Revisit records resolved to the capture they stand for, the same way for every reader.

A revisit keeps only the HTTP head of its answer; its payload is that of an earlier
full response, which it names by ``WARC-Refers-To`` (the record id),
``WARC-Refers-To-Target-URI``, ``WARC-Refers-To-Date`` and the payload digest both
share. Where the original is looked for differs by reader (:class:`Originals`: the
files read so far, the CDXJ indexes, the crawl state's last capture); reading it and
giving its payload to the revisit does not.

What may be the original of a revisit in a CDXJ index is said once
(:func:`index_originals`): a full capture with the revisit's payload digest, not
after it. Two readers choose among those. :class:`archive.lookup.CaptureIndex`
resolves here, with the revisit's WARC headers: the capture at ``WARC-Refers-To-Date``
if there is one, else the latest, the revisit URL's own captures over others of its
URL key. The replay index for pywb (:func:`archive.replayindex.resolved`) is not a
reader and not this resolver, for three reasons: it has only the index lines, which
carry no ``WARC-Refers-To*`` (reading each revisit's headers would make ``scrapy
serve`` read the archive at start), so it takes the latest of the URL key; it gives
no payload but re-points a 304's line at its original's record, so pywb shows that
answer at the 304's date; and only for server-not-modified revisits, since pywb
resolves identical-payload ones itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archive.capture import ArchivedPage, read_capture
from archive.cdxj import IndexEntry


class WarcHeaders(Protocol):
    """The WARC headers of a record, as warcio's ``StatusAndHeaders`` gives them."""

    def get_header(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class RevisitTarget:
    """What a revisit record says of itself and of its original."""

    url: str
    date: str
    refers_to: str | None
    refers_to_uri: str | None
    refers_to_date: str | None
    digest: str

    @classmethod
    def of(cls, headers: WarcHeaders) -> RevisitTarget:
        """The target named by the WARC headers of a revisit record."""
        get = headers.get_header
        return cls(
            get("WARC-Target-URI") or "",
            get("WARC-Date") or "",
            get("WARC-Refers-To"),
            get("WARC-Refers-To-Target-URI"),
            get("WARC-Refers-To-Date"),
            get("WARC-Payload-Digest") or "",
        )

    @property
    def original_uri(self) -> str:
        """The URI the original was captured under: the revisit's own, unless it names another."""
        return self.refers_to_uri or self.url


class Originals(Protocol):
    """Where a reader looks for the originals of revisits."""

    def locate(self, target: RevisitTarget) -> tuple[Path, int] | None:
        """The WARC file and offset of the response ``target`` stands for; None if not known."""
        ...


def read_original(path: str | os.PathLike[str], offset: int) -> ArchivedPage:
    """The full response record at ``offset`` of ``path``; ValueError if the record is another."""
    page, headers = read_capture(path, offset)
    kind = headers.get_header("WARC-Type")
    if kind != "response":
        raise ValueError(f"a {kind} record, not the full capture")
    return page


def resolve(
    revisit: ArchivedPage, target: RevisitTarget, originals: Originals
) -> ArchivedPage | None:
    """Give ``revisit`` the payload of its original and return that; None when it is not found."""
    place = originals.locate(target)
    if place is None:
        return None
    original = read_original(*place)
    revisit.payload = original.payload
    revisit.revisit_of = str(original.location["record_id"])
    return original


def index_originals(entries: Iterable[IndexEntry], digest: str, stamp: str) -> list[IndexEntry]:
    """The ``entries`` that may be the original of a revisit of payload ``digest`` at ``stamp``
    (a CDXJ timestamp): full captures with that digest, not after it, in their order."""
    return [
        entry
        for entry in entries
        if not entry.is_revisit
        and entry.fields.get("digest") == digest
        and entry.timestamp <= stamp
    ]
