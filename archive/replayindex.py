"""The index pywb replays from: the archive's CDXJ lines, with each 304 revisit made its original.

A ``server-not-modified`` revisit stands for the capture the server said was still
current, but it carries the 304's own HTTP headers, and pywb shows those (an empty
304). In the index written here, such a line keeps its URL and timestamp and points at
the record of the original capture (same URL key and payload digest, the latest one
before it), so browsing that timestamp shows the page as it was then. The archive's
own indexes are left as they are.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from archive.cdxj import IndexEntry, read_index
from archive.revisits import index_originals

NOT_MODIFIED = "304"
POINTER_FIELDS = ("mime", "status", "length", "offset", "filename")
REPLAY_INDEX = "index.cdxj"


def resolved(entries: list[IndexEntry]) -> list[IndexEntry]:
    """``entries`` (sorted) with every 304 revisit pointing at its original capture where one is
    found: the latest of :func:`archive.revisits.index_originals` of its URL key (why this is not
    the revisit resolver of :mod:`archive.revisits` is said there)."""
    originals: dict[tuple[str, str], list[IndexEntry]] = defaultdict(list)
    for entry in entries:
        if not entry.is_revisit and entry.fields.get("digest"):
            originals[(entry.urlkey, entry.fields["digest"])].append(entry)
    out = []
    for entry in entries:
        if entry.is_revisit and entry.fields.get("status") == NOT_MODIFIED:
            digest = entry.fields.get("digest", "")
            earlier = index_originals(
                originals.get((entry.urlkey, digest), []), digest, entry.timestamp
            )
            if earlier:
                pointer = {
                    name: earlier[-1].fields[name]
                    for name in POINTER_FIELDS
                    if name in earlier[-1].fields
                }
                entry = IndexEntry(entry.urlkey, entry.timestamp, {**entry.fields, **pointer})
        out.append(entry)
    return out


def write_replay_index(archive: str | os.PathLike[str], folder: str | os.PathLike[str]) -> Path:
    """Write ``folder/index.cdxj`` for pywb from the indexes of ``archive``; return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.cdxj"):
        stale.unlink()
    entries = sorted(read_index(archive), key=lambda entry: (entry.urlkey, entry.timestamp))
    path = folder / REPLAY_INDEX
    temporary = path.with_suffix(".cdxj.tmp")
    lines = sorted(entry.line() + "\n" for entry in resolved(entries))
    temporary.write_text("".join(lines), encoding="utf-8")
    os.replace(temporary, path)
    return path
