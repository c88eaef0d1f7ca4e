"""Package WARC files as a WACZ 1.1.1 file that ReplayWeb.page opens and searches.

Layout: ``archive/`` (the WARC files, stored uncompressed in the ZIP so readers
can seek into them), ``indexes/index.cdx`` (one sorted CDXJ index of all of
them, merged from each file's sorted index as it is written, so memory does not
grow with the archive), ``pages/pages.jsonl`` (the pages to list, with their text for full-text
search), ``datapackage.json`` (every file with its size and SHA-256) and
``datapackage-digest.json`` (the digest of ``datapackage.json``). The pages
are written as they come, so their texts are never all held either.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from archive.cdxj import (
    IndexSorter,
    IndexSource,
    UnsortedIndex,
    has_fresh_index,
    index_path,
    iter_index_warc,
    merge_indexes,
)

WACZ_VERSION = "1.1.1"
PAGES_PATH = "pages/pages.jsonl"
INDEX_PATH = "indexes/index.cdx"
_BLOCK = 1 << 20
__all__ = ["INDEX_PATH", "PAGES_PATH", "Page", "UnsortedIndex", "write_wacz"]


@dataclass(frozen=True)
class Page:
    """A page of ``pages.jsonl``: an archived URL, when it was captured, its title and text."""

    url: str
    ts: str  # RFC 3339, as the WARC-Date of the capture
    title: str = ""
    text: str = ""


def _pages_lines(pages: Iterable[Page], title: str) -> Iterator[bytes]:
    header = {"format": "json-pages-1.0", "id": "pages", "title": title, "hasText": True}
    yield (json.dumps(header, ensure_ascii=False) + "\n").encode("utf-8")
    for number, page in enumerate(pages):
        record = {
            "id": f"page-{number}",
            "url": page.url,
            "ts": page.ts,
            "title": page.title,
            "text": page.text,
        }
        yield (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def _write_pages(
    package: zipfile.ZipFile, pages: Iterable[Page], title: str, scratch: Path
) -> tuple[int, str]:
    """Write :data:`PAGES_PATH` from ``pages`` as they come; return its size and SHA-256 digest.

    The lines go to an unnamed temporary file first, so the member is the one
    ``writestr`` would write (its size decides ZIP64 before compressing).
    """
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile(dir=scratch) as spool:
        for line in _pages_lines(pages, title):
            spool.write(line)
            digest.update(line)
            size += len(line)
        spool.seek(0)
        info = zipfile.ZipInfo(PAGES_PATH, date_time=time.localtime(time.time())[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        info.file_size = size
        with package.open(info, "w") as member:
            while block := spool.read(_BLOCK):
                member.write(block)
    return size, f"sha256:{digest.hexdigest()}"


def _sha256(path_or_data: Path | bytes) -> tuple[int, str]:
    digest = hashlib.sha256()
    if isinstance(path_or_data, bytes):
        digest.update(path_or_data)
        return len(path_or_data), f"sha256:{digest.hexdigest()}"
    size = 0
    with path_or_data.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
            size += len(block)
    return size, f"sha256:{digest.hexdigest()}"


def _sorted_from_warc(warc: Path, scratch: Path) -> IO[bytes]:
    """The index of ``warc`` read from the file itself, sorted into an unnamed temporary file."""
    sorter = IndexSorter(scratch)
    run = tempfile.TemporaryFile(dir=scratch)  # noqa: SIM115 - open until merged
    try:
        for entry in iter_index_warc(warc):
            sorter.append(entry)
        run.writelines((line + "\n").encode("utf-8") for line in sorter.sorted_lines())
    except BaseException:
        run.close()
        raise
    finally:
        sorter.close()
    run.seek(0)
    return run


def _write_index(package: zipfile.ZipFile, warcs: Sequence[Path], scratch: Path) -> tuple[int, str]:
    """Write the merged index of ``warcs`` as :data:`INDEX_PATH`, streamed; return its SHA-256 digest.

    The member is the one ``writestr`` would write for the sorted lines, built from
    each file's fresh sorted index (or the file itself, sorted on its own).
    """
    with ExitStack() as stack:
        sources: list[IndexSource] = []
        estimate = 0
        for warc in warcs:
            if has_fresh_index(warc):
                index = index_path(warc)
                sources.append((str(index), index))
                estimate += index.stat().st_size + 1
            else:
                run = stack.enter_context(_sorted_from_warc(warc, scratch))
                sources.append((f"index of {warc}", run))
                estimate += os.fstat(run.fileno()).st_size + 1
        info = zipfile.ZipInfo(INDEX_PATH, date_time=time.localtime(time.time())[:6])
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        info.file_size = estimate  # decides ZIP64 as writestr would; the real size replaces it
        digest = hashlib.sha256()
        size = 0
        with package.open(info, "w") as member:
            chunk: list[bytes] = []
            held = 0
            for line in merge_indexes(sources, scratch, stack):
                chunk.append(line)
                held += len(line)
                if held >= _BLOCK:
                    data = b"".join(chunk)
                    member.write(data)
                    digest.update(data)
                    size += held
                    chunk, held = [], 0
            data = b"".join(chunk)
            member.write(data)
            digest.update(data)
            size += held
    return size, f"sha256:{digest.hexdigest()}"


def write_wacz(
    out: str | os.PathLike[str],
    warcs: Sequence[Path],
    pages: Iterable[Page],
    *,
    title: str,
    software: str,
    created: datetime | None = None,
) -> dict[str, object]:
    """Write the WACZ file ``out`` (atomically) and return its ``datapackage.json``.

    Raises :class:`UnsortedIndex` (and leaves no file) when a WARC file's index is out of order.
    """
    target = Path(out)
    partial = target.with_name(target.name + ".part")
    try:
        return _write(target, partial, warcs, pages, title, software, created)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _write(
    target: Path,
    partial: Path,
    warcs: Sequence[Path],
    pages: Iterable[Page],
    title: str,
    software: str,
    created: datetime | None,
) -> dict[str, object]:
    resources = []
    with zipfile.ZipFile(partial, "w", allowZip64=True) as package:
        for warc in warcs:
            package.write(warc, f"archive/{warc.name}", compress_type=zipfile.ZIP_STORED)
            size, digest = _sha256(warc)
            resources.append(
                {
                    "name": warc.name.lower(),
                    "path": f"archive/{warc.name}",
                    "hash": digest,
                    "bytes": size,
                }
            )
        size, digest = _write_index(package, warcs, target.parent)
        resources.append(
            {"name": Path(INDEX_PATH).name, "path": INDEX_PATH, "hash": digest, "bytes": size}
        )
        size, digest = _write_pages(package, pages, title, target.parent)
        resources.append(
            {"name": Path(PAGES_PATH).name, "path": PAGES_PATH, "hash": digest, "bytes": size}
        )
        datapackage: dict[str, object] = {
            "profile": "data-package",
            "resources": resources,
            "title": title,
            "created": (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wacz_version": WACZ_VERSION,
            "software": software,
        }
        described = json.dumps(datapackage, indent=2).encode("utf-8")
        package.writestr("datapackage.json", described, compress_type=zipfile.ZIP_DEFLATED)
        digest_file = {"path": "datapackage.json", "hash": _sha256(described)[1]}
        package.writestr(
            "datapackage-digest.json",
            json.dumps(digest_file, indent=2),
            compress_type=zipfile.ZIP_DEFLATED,
        )
    os.replace(partial, target)
    return datapackage
