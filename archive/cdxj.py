"""CDXJ indexes of WARC files, in the format pywb and cdxj-indexer use.

One line per response, revisit, resource or metadata record (request and
warcinfo records are left out): the SURT key of the URL, the 14-digit
timestamp, and a JSON object with ``url``, ``mime``, ``status``, ``digest``,
``length``, ``offset`` and ``filename``. Lines are sorted, so pywb can search
each file. The index of ``DIR/NAME.warc.gz`` is ``DIR/indexes/NAME.warc.gz.cdxj``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import surt

from archive.digest import sha1_digest
from archive.reader import archive_files, iter_whole_records
from archive.records import WarcRecord

logger = logging.getLogger(__name__)

INDEX_FOLDER = "indexes"
INDEX_SUFFIX = ".cdxj"
INDEXED_TYPES = ("response", "revisit", "resource", "metadata")
REVISIT_MIME = "warc/revisit"

_MIME_END = re.compile(r"[;\s]")
_STATUS_LINE = re.compile(rb"^\S+ (\d{3})")
_CONTENT_TYPE = re.compile(rb"\r\ncontent-type:[ \t]*([^\r\n]*)", re.IGNORECASE)


@dataclass(frozen=True)
class IndexEntry:
    """One capture of the index: where the record of ``url`` at ``timestamp`` is."""

    urlkey: str
    timestamp: str
    fields: dict[str, str]

    @property
    def url(self) -> str:
        return self.fields["url"]

    @property
    def is_revisit(self) -> bool:
        return self.fields.get("mime") == REVISIT_MIME

    def line(self) -> str:
        return f"{self.urlkey} {self.timestamp} {json.dumps(self.fields)}"

    @classmethod
    def parse(cls, line: str) -> IndexEntry:
        urlkey, timestamp, fields = line.split(" ", 2)
        return cls(urlkey, timestamp, json.loads(fields))


def url_key(url: str) -> str:
    """The SURT form of ``url`` that pywb sorts and searches by."""
    try:
        return surt.surt(url)
    except Exception:  # surt raises bare errors on URLs it cannot parse; pywb then keys by the URL
        return url


def timestamp(warc_date: str) -> str:
    """``2026-11-23T10:11:30.123Z`` -> ``20261123101130``."""
    return "".join(c for c in warc_date[:19] if c.isdigit())


def _mime(content_type: str | None) -> str | None:
    return _MIME_END.split(content_type, 1)[0].strip() if content_type else None


def make_entry(
    *, url: str, date: str, rec_type: str, content_type: str | None, status: str | None,
    digest: str | None, filename: str, offset: int, length: int,
) -> IndexEntry:
    """The entry of one record; ``content_type`` is the HTTP one for HTTP records."""
    fields = {"url": url}
    mime = REVISIT_MIME if rec_type == "revisit" else _mime(content_type)
    for name, value in (("mime", mime), ("status", status), ("digest", digest)):
        if value:
            fields[name] = value
    fields |= {"length": str(length), "offset": str(offset), "filename": filename}
    return IndexEntry(url_key(url), timestamp(date), fields)


def _indexed(rec_type: str, url: str | None, content_type: str | None) -> bool:
    """As cdxj-indexer: captures of a URL, but no request records and no warc-fields metadata."""
    if rec_type not in INDEXED_TYPES or not url:
        return False
    return not (rec_type in ("resource", "metadata") and content_type == "application/warc-fields")


def entry_for_record(record: WarcRecord, filename: str, offset: int, length: int) -> IndexEntry | None:
    """The entry of a record we write, from its headers and block; ``None`` for unindexed types."""
    rec_type = record.header("WARC-Type") or ""
    content_type, status = record.content_type, None
    if not _indexed(rec_type, record.header("WARC-Target-URI"), content_type):
        return None
    if (content_type or "").startswith("application/http"):
        head = record.block[: record.block.find(b"\r\n\r\n") + 2]
        found = _STATUS_LINE.match(head)
        status = found.group(1).decode() if found else None
        typed = _CONTENT_TYPE.search(head)
        content_type = typed.group(1).decode("latin-1") if typed else None
    return make_entry(
        url=record.header("WARC-Target-URI") or "", date=record.date, rec_type=rec_type,
        content_type=content_type, status=status, digest=record.header("WARC-Payload-Digest"),
        filename=filename, offset=offset, length=length,
    )


def index_warc(path: str | os.PathLike[str]) -> list[IndexEntry]:
    """Read the entries of any writer's WARC file, in file order (a damaged file up to the damage)."""
    name = Path(path).name
    entries = []
    for record, content, offset, length in iter_whole_records(path):
        headers = record.rec_headers
        rec_type = record.rec_type
        if not _indexed(rec_type, headers.get_header("WARC-Target-URI"), headers.get_header("Content-Type")):
            continue
        http = record.http_headers if rec_type in ("response", "revisit") else None
        entries.append(make_entry(
            url=headers.get_header("WARC-Target-URI"), date=headers.get_header("WARC-Date") or "",
            rec_type=rec_type,
            content_type=http.get_header("Content-Type") if http else headers.get_header("Content-Type"),
            status=http.get_statuscode() if http else None,
            # As cdxj-indexer: a record without a payload digest is indexed with a computed one.
            digest=headers.get_header("WARC-Payload-Digest") or sha1_digest(content),
            filename=name, offset=offset, length=length,
        ))
    return entries


def index_path(warc: str | os.PathLike[str]) -> Path:
    """Where the index of ``warc`` lives."""
    path = Path(warc)
    return path.parent / INDEX_FOLDER / (path.name + INDEX_SUFFIX)


def write_index(warc: str | os.PathLike[str], entries: Iterable[IndexEntry] | None = None) -> Path:
    """Write the sorted index of ``warc`` (read from the file unless ``entries`` are given), atomically."""
    target = index_path(warc)
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = sorted(entry.line() for entry in (index_warc(warc) if entries is None else entries))
    partial = target.with_name(target.name + ".part")
    partial.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(partial, target)
    return target


def has_fresh_index(warc: Path) -> bool:
    """Whether ``warc`` has an index written after the file's last change."""
    index = index_path(warc)
    return index.exists() and index.stat().st_mtime >= warc.stat().st_mtime


def _stored_entries(index: Path) -> Iterator[IndexEntry]:
    with index.open(encoding="utf-8") as lines:
        yield from (IndexEntry.parse(line) for line in lines if line.strip())


def warc_entries(warc: Path) -> list[IndexEntry]:
    """The entries of ``warc``: from its index when fresh, else read from the file itself."""
    return list(_stored_entries(index_path(warc))) if has_fresh_index(warc) else index_warc(warc)


def ensure_indexes(directory: str | os.PathLike[str]) -> list[Path]:
    """Index every finished WARC file of ``directory`` that has no index or an older one."""
    written = []
    for warc in archive_files(Path(directory)):
        if not has_fresh_index(warc):
            written.append(write_index(warc))
            logger.info("Indexed %s", warc)
    return written


def read_index(directory: str | os.PathLike[str]) -> Iterator[IndexEntry]:
    """Every entry of the indexes of ``directory``'s WARC files, file by file."""
    for warc in archive_files(Path(directory)):
        index = index_path(warc)
        if index.exists():
            yield from _stored_entries(index)
