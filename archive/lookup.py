"""Look archived responses up by URL through the CDXJ indexes, as pywb does.

A URL matches the captures of its SURT key (so ``http://www.example.com/a?b&a``
finds ``http://example.com/a?a&b``); captures of the very URL asked for win
over the others, and the latest wins among those. A revisit gets the payload
of its original: the capture of ``WARC-Refers-To-Target-URI`` with the same
payload digest, at ``WARC-Refers-To-Date`` when that one is in the archive.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from archive.capture import ArchivedPage, read_capture, read_response
from archive.cdxj import (
    INDEX_FOLDER,
    IndexEntry,
    SortedIndex,
    ensure_indexes,
    index_path,
    timestamp,
    url_key,
)
from archive.mergedindex import MERGE_ABOVE, MERGED_NAME, split
from archive.reader import MALFORMED, archive_files
from archive.revisits import RevisitTarget, index_originals, resolve

logger = logging.getLogger(__name__)


class CaptureIndex:
    """The captures of the WARC files in ``directory``, by URL key (indexing any file not indexed yet).

    Each lookup bisects sorted index files: nothing is loaded up front, so memory and
    start-up do not grow with the archive. With more than ``merge_above`` WARC files,
    their indexes are merged into one (``indexes/merged.cdxj``, see
    :mod:`archive.mergedindex`) so a lookup's cost does not grow with their number.
    """

    def __init__(self, directory: str | os.PathLike[str], merge_above: int = MERGE_ABOVE) -> None:
        self.directory = Path(directory)
        ensure_indexes(self.directory)
        warcs = [warc for warc in archive_files(self.directory) if index_path(warc).exists()]
        self._ranks = {warc.name: rank for rank, warc in enumerate(warcs)}
        merged = self.directory / INDEX_FOLDER / MERGED_NAME
        use_merged, alone = split(merged, [index_path(warc) for warc in warcs], merge_above)
        self._merged = 1 if use_merged else 0
        self._indexes = [SortedIndex(merged)] if use_merged else []
        self._indexes += [SortedIndex(index) for index in alone]

    def __len__(self) -> int:
        return sum(map(len, self._indexes)) - self._merged  # the merged index's header line

    @property
    def files(self) -> int:
        """How many WARC files (with their indexes) are searched."""
        return len(self._ranks)

    def close(self) -> None:
        for index in self._indexes:
            index.close()
        self._indexes = []

    def captures(self, url: str) -> list[IndexEntry]:
        """The captures of ``url``, best last: its own after those of other URLs of the same key."""
        key = url_key(url)
        captures = [entry for index in self._indexes for entry in index.entries(key)]
        last = len(self._ranks)
        # within a second: file order, then index order (stable)
        captures.sort(
            key=lambda entry: (entry.timestamp, self._ranks.get(entry.fields["filename"], last))
        )
        return [entry for entry in captures if entry.url != url] + [
            entry for entry in captures if entry.url == url
        ]

    def page(self, url: str) -> ArchivedPage | None:
        """The latest archived response for ``url``, revisits resolved; ``None`` when there is none."""
        for entry in reversed(self.captures(url)):
            page = self._read(entry)
            if page is not None:
                return page
        return None

    def _read(self, entry: IndexEntry) -> ArchivedPage | None:
        path = self.directory / entry.fields["filename"]
        offset = int(entry.fields["offset"])
        length = int(entry.fields.get("length") or 0)
        if not entry.is_revisit and length and path.name.endswith(".gz"):
            try:
                return read_response(path, offset, length)  # its member read and inflated at once
            except (*MALFORMED, OSError):
                pass  # a length that does not fit the file: the record is read by itself below
        page, headers = read_capture(path, offset)
        if not entry.is_revisit:
            return page
        original = resolve(page, RevisitTarget.of(headers), self)
        if original is None:
            logger.warning(
                "Revisit of %s in %s: its original is not in the archive",
                page.url,
                entry.fields["filename"],
            )
            return None
        if page.status == 304:  # server-not-modified: the original answer stands
            return original
        return page

    def locate(self, target: RevisitTarget) -> tuple[Path, int] | None:
        """The latest capture of the URI with the payload digest, not after the revisit;
        the one at ``WARC-Refers-To-Date`` when it is there."""
        candidates = index_originals(
            self.captures(target.original_uri), target.digest, timestamp(target.date)
        )
        refers_date = timestamp(target.refers_to_date or "")
        exact = [entry for entry in candidates if entry.timestamp == refers_date]
        best = exact or candidates
        if not best:
            return None
        return self.directory / best[-1].fields["filename"], int(best[-1].fields["offset"])
