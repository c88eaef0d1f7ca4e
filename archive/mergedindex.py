"""One sorted index merged from many WARC files' indexes, so a lookup bisects one file, not each.

``ARCHIVE/indexes/merged.cdxj`` starts with a header line (``!merged`` and a JSON
list of the index files it holds, each with its size and modification time, so
it sorts before every SURT key) and goes on with their lines, k-way merged. It
is written to a temporary file and renamed (a ``kill -9`` leaves the old one or
none), rebuilt when an index it holds changed or went away, and left alone while
few index files are newer than it: those are searched one by one beside it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from archive.cdxj import merge_indexes

logger = logging.getLogger(__name__)

MERGED_NAME = "merged.cdxj"
MERGE_ABOVE = 16  # index files not in the merged index that are still searched one by one
_HEADER = b"!merged "

Stamp = tuple[str, int, int]


def stamp(index: Path) -> Stamp:
    """What identifies one state of an index file: its name, size and modification time."""
    status = index.stat()
    return index.name, status.st_size, status.st_mtime_ns


def held(merged: Path) -> list[Stamp] | None:
    """The index files ``merged`` holds; ``None`` when it is missing or not a merged index."""
    try:
        with merged.open("rb") as stream:
            first = stream.readline()
    except FileNotFoundError:
        return None
    if not first.startswith(_HEADER) or not first.endswith(b"\n"):
        return None
    try:
        return [(name, size, mtime) for name, size, mtime in json.loads(first[len(_HEADER) :])]
    except ValueError:
        return None


def write_merged(merged: Path, indexes: Sequence[Path]) -> list[Stamp]:
    """Merge the sorted ``indexes`` into ``merged`` (atomically); return the stamps it holds."""
    stamps = [stamp(index) for index in indexes]  # before reading: a later change shows
    handle, partial = tempfile.mkstemp(dir=merged.parent, prefix=".merged-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, ExitStack() as stack:
            out.write(_HEADER + json.dumps(stamps).encode() + b"\n")
            sources = [(str(index), index) for index in indexes]
            out.writelines(merge_indexes(sources, merged.parent, stack))
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, merged)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    logger.info("Merged %d index files into %s", len(indexes), merged)
    return stamps


def split(merged: Path, indexes: Sequence[Path], merge_above: int) -> tuple[bool, list[Path]]:
    """Whether to search ``merged``, and which of ``indexes`` to search one by one beside it.

    The merged index is (re)built when it is missing, holds an index file that changed
    or went away, or more than ``merge_above`` index files are not in it.
    """
    if len(indexes) <= merge_above:
        return False, list(indexes)
    current = {index.name: index for index in indexes}
    holds = held(merged)
    if holds is not None and all(
        name in current and stamp(current[name]) == (name, size, mtime)
        for name, size, mtime in holds
    ):
        names = {name for name, _, _ in holds}
        rest = [index for index in indexes if index.name not in names]
        if len(rest) <= merge_above:
            return True, rest
    try:
        write_merged(merged, indexes)
    except OSError as error:
        logger.warning("Could not write %s (%s): searching each index file", merged, error)
        return False, list(indexes)
    return True, []
