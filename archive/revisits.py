"""Revisit records resolved to the capture they stand for, the same way for every reader.

A revisit keeps only the HTTP head of its answer; its payload is that of an earlier
full response, which it names by ``WARC-Refers-To`` (the record id),
``WARC-Refers-To-Target-URI``, ``WARC-Refers-To-Date`` and the payload digest both
share. Where the original is looked for differs by reader (:class:`Originals`: the
files read so far, the CDXJ indexes, the crawl state's last capture); reading it and
giving its payload to the revisit does not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archive.capture import ArchivedPage, read_capture


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
