"""Package WARC files as a WACZ 1.1.1 file that ReplayWeb.page opens and searches.

Layout: ``archive/`` (the WARC files, stored uncompressed in the ZIP so readers
can seek into them), ``indexes/index.cdx`` (one sorted CDXJ index of all of
them), ``pages/pages.jsonl`` (the pages to list, with their text for full-text
search), ``datapackage.json`` (every file with its size and SHA-256) and
``datapackage-digest.json`` (the digest of ``datapackage.json``).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive.cdxj import warc_entries

WACZ_VERSION = "1.1.1"
PAGES_PATH = "pages/pages.jsonl"
INDEX_PATH = "indexes/index.cdx"
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Page:
    """A page of ``pages.jsonl``: an archived URL, when it was captured, its title and text."""

    url: str
    ts: str  # RFC 3339, as the WARC-Date of the capture
    title: str = ""
    text: str = ""


def _pages_jsonl(pages: Iterable[Page], title: str) -> bytes:
    header = {"format": "json-pages-1.0", "id": "pages", "title": title, "hasText": True}
    lines = [json.dumps(header, ensure_ascii=False)]
    for number, page in enumerate(pages):
        record = {
            "id": f"page-{number}",
            "url": page.url,
            "ts": page.ts,
            "title": page.title,
            "text": page.text,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


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


def write_wacz(
    out: str | os.PathLike[str],
    warcs: Sequence[Path],
    pages: Iterable[Page],
    *,
    title: str,
    software: str,
    created: datetime | None = None,
) -> dict[str, object]:
    """Write the WACZ file ``out`` (atomically) and return its ``datapackage.json``."""
    target = Path(out)
    partial = target.with_name(target.name + ".part")
    index = "".join(
        sorted(entry.line() + "\n" for warc in warcs for entry in warc_entries(warc))
    ).encode("utf-8")
    pages_data = _pages_jsonl(pages, title)
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
        for path, data, compression in (
            (INDEX_PATH, index, zipfile.ZIP_STORED),
            (PAGES_PATH, pages_data, zipfile.ZIP_DEFLATED),
        ):
            package.writestr(path, data, compress_type=compression)
            size, digest = _sha256(data)
            resources.append({"name": Path(path).name, "path": path, "hash": digest, "bytes": size})
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
