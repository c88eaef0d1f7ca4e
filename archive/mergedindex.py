"""One sorted index merged from many WARC files' indexes, so a lookup bisects one file, not each.

``ARCHIVE/indexes/merged.cdxj`` starts with a header line (``!merged`` and a JSON
list of the index files it holds, each with its size and modification time, so
it sorts before every SURT key) and goes on with their lines, k-way merged. It
is written to a temporary file and renamed (a ``kill -9`` leaves the old one or
none), rebuilt when an index it holds changed or went away, and left alone while
few index files are newer than it: those are searched one by one beside it.

Only the holder of ``indexes/.merged.lock`` writes it: a process that finds it out
of date while another is merging waits, then uses what that one wrote. A
temporary ``.merged-*.part`` found while nobody holds the lock was left by a
writer that died, and is removed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from archive.cdxj import merge_indexes

logger = logging.getLogger(__name__)

MERGED_NAME = "merged.cdxj"
MERGE_ABOVE = 16  # index files not in the merged index that are still searched one by one
LOCK_NAME = ".merged.lock"
PART_PREFIX = ".merged-"
PART_SUFFIX = ".part"
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
    handle, partial = tempfile.mkstemp(dir=merged.parent, prefix=PART_PREFIX, suffix=PART_SUFFIX)
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


@contextmanager
def merging(folder: Path, wait: bool = True) -> Iterator[bool]:
    """Hold ``folder``'s merge lock (waiting for another process's merge); yield whether it is held.

    With ``wait=False``, yields ``False`` at once when another process holds it.
    """
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def stray_parts(folder: Path) -> list[Path]:
    """The temporary files of merges in ``folder``, finished or not."""
    return [
        folder / name
        for name in os.listdir(folder)
        if name.startswith(PART_PREFIX) and name.endswith(PART_SUFFIX)
    ]


def _remove_stray_parts(folder: Path) -> None:
    """Remove merge temporary files; only call with the merge lock held (their writers are gone)."""
    for part in stray_parts(folder):
        logger.warning("Removed %s: a merge of the index files that did not finish", part)
        part.unlink(missing_ok=True)


def _current(merged: Path, indexes: Sequence[Path], merge_above: int) -> list[Path] | None:
    """The index files to search beside ``merged`` when it is up to date enough, else ``None``."""
    current = {index.name: index for index in indexes}
    holds = held(merged)
    if holds is None or not all(
        name in current and stamp(current[name]) == (name, size, mtime)
        for name, size, mtime in holds
    ):
        return None
    names = {name for name, _, _ in holds}
    rest = [index for index in indexes if index.name not in names]
    return rest if len(rest) <= merge_above else None


def split(merged: Path, indexes: Sequence[Path], merge_above: int) -> tuple[bool, list[Path]]:
    """Whether to search ``merged``, and which of ``indexes`` to search one by one beside it.

    The merged index is (re)built when it is missing, holds an index file that changed
    or went away, or more than ``merge_above`` index files are not in it; a process
    that finds another one rebuilding it waits for that one and takes its result.
    """
    if len(indexes) <= merge_above:
        return False, list(indexes)
    folder = merged.parent
    try:
        rest = _current(merged, indexes, merge_above)
        if rest is not None:
            if stray_parts(folder):
                with merging(folder, wait=False) as held_here:
                    if held_here:
                        _remove_stray_parts(folder)
            return True, rest
        with merging(folder):
            _remove_stray_parts(folder)
            rest = _current(merged, indexes, merge_above)  # another process may have merged
            if rest is not None:
                return True, rest
            write_merged(merged, indexes)
    except OSError as error:
        logger.warning("Could not write %s (%s): searching each index file", merged, error)
        return False, list(indexes)
    return True, []
