"""The lookup index of a corpus manifest: SQLite tables that answer without loading the manifest.

The manifest stays the record; this index is derived from it and says how much
of it it covers (bytes, lines, and a digest of the last line covered), so a
store catches up from there, or rebuilds the index when the manifest was cut or
replaced beneath it. Entries are not copied: the index keeps where each
article's latest line is, and the store reads that line from the manifest.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from corpus.diskerrors import disk_failed
from corpus.simhash import BITS, MAX_DISTANCE, distance

logger = logging.getLogger(__name__)

LOOKUP = ".lookup.sqlite"
_VERSION = 1
_BANDS = MAX_DISTANCE + 1
_BAND_BITS = BITS // _BANDS
_SIGN = 1 << (BITS - 1)
_SCHEMA = f"""
CREATE TABLE covered (one INTEGER PRIMARY KEY CHECK (one = 1), bytes INTEGER NOT NULL,
                      lines INTEGER NOT NULL, tail_offset INTEGER NOT NULL, tail TEXT NOT NULL,
                      next_number INTEGER NOT NULL);
INSERT INTO covered VALUES (1, 0, 0, 0, '', 0);
CREATE TABLE latest (id INTEGER PRIMARY KEY, offset INTEGER NOT NULL, length INTEGER NOT NULL,
                     file TEXT NOT NULL);
CREATE TABLE urls (canonical_url TEXT NOT NULL, id INTEGER NOT NULL);
CREATE TABLE bands (band INTEGER NOT NULL, fingerprint INTEGER NOT NULL, id INTEGER NOT NULL);
CREATE TABLE pending (file TEXT PRIMARY KEY, id INTEGER NOT NULL, new INTEGER NOT NULL) WITHOUT ROWID;
PRAGMA user_version = {_VERSION};
"""
# Made after a bulk load (sorting once beats inserting a million rows in random places).
# They hold what a lookup reads, so it never reads the tables' rows, scattered in manifest order.
_INDEXES = {
    "urls_by_url_id": "urls (canonical_url, id)",
    "bands_by_band_fingerprint": "bands (band, fingerprint, id)",
}
_REPLACED = ("urls_by_url", "bands_by_band")  # made by earlier versions: dropped


def line_digest(line: bytes) -> str:
    """What the index keeps of the last manifest line it covers, to know the manifest again."""
    return hashlib.sha1(line).hexdigest()


def _signed(fingerprint: int) -> int:
    return fingerprint - (1 << BITS) if fingerprint >= _SIGN else fingerprint


def _band_keys(fingerprint: int) -> list[int]:
    mask = (1 << _BAND_BITS) - 1
    return [
        band << _BAND_BITS | (fingerprint >> (band * _BAND_BITS) & mask) for band in range(_BANDS)
    ]


class ManifestIndex:
    """``CORPUS_DIR/.lookup.sqlite``: canonical URL, latest line and SimHash bands of each article.

    Opened and written under the corpus lock only; :meth:`begin` and :meth:`commit`
    frame one change. Written in WAL mode, so a ``kill -9`` loses at most the
    uncommitted change, which the next catch-up reads again from the manifest.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fresh = False  # created empty: the store checks the folder against the manifest once
        self.db = self._connect()

    def _connect(self, rebuilt: bool = False) -> sqlite3.Connection:
        """Open the index, rebuilt once if it is damaged; a full or failing disk raises its
        ``sqlite3.OperationalError``."""
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints (and their fsyncs) every 32 MB of changes, not every 4: adding stays cheap.
            db.execute("PRAGMA wal_autocheckpoint=8192")
            db.execute("PRAGMA journal_size_limit=67108864")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
                self.fresh = True
            elif version != _VERSION:
                raise sqlite3.DatabaseError(f"made by another version ({version})")
            return db
        except sqlite3.DatabaseError as error:
            if rebuilt or disk_failed(error):
                raise
            logger.warning("Rebuilding %s from the manifest: %s", self.path, error)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self._connect(rebuilt=True)

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def close(self) -> None:
        self.db.close()

    def covered(self) -> tuple[int, int, int, str, int]:
        """Manifest bytes and lines covered, the last line's offset and digest, the next free number."""
        return self.db.execute(
            "SELECT bytes, lines, tail_offset, tail, next_number FROM covered"
        ).fetchone()

    def reset(self) -> None:
        """Forget everything: the manifest will be read again from its first line."""
        for table in ("latest", "urls", "bands"):
            self.db.execute(f"DELETE FROM {table}")
        self.db.execute(
            "UPDATE covered SET bytes = 0, lines = 0, tail_offset = 0, tail = '', next_number = 0"
        )
        self.fresh = True

    def take_in(
        self, entries: Iterable[tuple[dict[str, Any], int, int]], *, known: bool = False
    ) -> int:
        """Index ``(entry, offset, length)`` of manifest lines, in manifest order; the number after theirs.

        ``known``: the entry's URL and SimHash are indexed for its article already
        (a copy's URL noted on it), so only where its latest line is changes.
        The next free number is raised with :meth:`set_covered`.
        """
        latest, urls, bands, top = [], [], [], -1
        for entry, offset, length in entries:
            number = entry["id"]
            latest.append((number, offset, length, entry["file"]))
            if known:
                continue
            urls.append((entry["canonical_url"], number))
            if isinstance(entry.get("simhash"), str):
                fingerprint = int(entry["simhash"], 16)
                bands += [(key, _signed(fingerprint), number) for key in _band_keys(fingerprint)]
            top = max(top, number)
        self.db.executemany("INSERT OR REPLACE INTO latest VALUES (?, ?, ?, ?)", latest)
        self.db.executemany("INSERT INTO urls VALUES (?, ?)", urls)
        self.db.executemany("INSERT INTO bands VALUES (?, ?, ?)", bands)
        return top + 1

    def bulk(self) -> None:
        """About to index many lines: drop the lookup indexes until :meth:`indexed`."""
        for name in (*_INDEXES, *_REPLACED):
            self.db.execute(f"DROP INDEX IF EXISTS {name}")

    def indexed(self) -> None:
        """Make the lookup indexes that are missing (after a bulk load, or one cut short)."""
        for name in _REPLACED:
            self.db.execute(f"DROP INDEX IF EXISTS {name}")
        for name, on in _INDEXES.items():
            self.db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")

    def set_covered(
        self, size: int, lines: int, tail_offset: int, tail: str, next_number: int = 0
    ) -> None:
        """Note how much of the manifest is indexed, and raise the next free number to ``next_number``."""
        self.db.execute(
            "UPDATE covered SET bytes = ?, lines = ?, tail_offset = ?, tail = ?,"
            " next_number = max(next_number, ?)",
            (size, lines, tail_offset, tail, next_number),
        )

    def raise_next_number(self, number: int) -> None:
        self.db.execute("UPDATE covered SET next_number = max(next_number, ?)", (number,))

    def number_of(self, canonical_url: str) -> int | None:
        row = self.db.execute(  # the URL's latest article, as a dict filled in manifest order
            "SELECT id FROM urls WHERE canonical_url = ? ORDER BY rowid DESC LIMIT 1",
            (canonical_url,),
        ).fetchone()
        return None if row is None else row[0]

    def last_number(self) -> int | None:
        """The highest article number the manifest lists, or ``None`` when it lists none."""
        return self.db.execute("SELECT max(id) FROM latest").fetchone()[0]

    def latest_line(self, number: int) -> tuple[int, int] | None:
        """Offset and length of the manifest line that describes article ``number`` now."""
        return self.db.execute(
            "SELECT offset, length FROM latest WHERE id = ?", (number,)
        ).fetchone()

    def listed_file(self, number: int) -> str | None:
        row = self.db.execute("SELECT file FROM latest WHERE id = ?", (number,)).fetchone()
        return None if row is None else row[0]

    def unlisted(self, files: list[tuple[str, int]]) -> list[str]:
        """Which of the ``(name, number)`` files the latest entries do not list."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS found (name TEXT, id INTEGER)")
        self.db.executemany("INSERT INTO found VALUES (?, ?)", files)
        rows = self.db.execute(
            "SELECT found.name FROM found LEFT JOIN latest ON latest.id = found.id"
            " WHERE latest.file IS NOT found.name"
        ).fetchall()
        self.db.execute("DELETE FROM found")
        return [name for (name,) in rows]

    def nearest(self, fingerprint: int) -> int | None:
        """The number of the closest fingerprint within ``MAX_DISTANCE`` bits (ties: lowest number)."""
        keys = _band_keys(fingerprint)
        rows = self.db.execute(
            f"SELECT fingerprint, id FROM bands WHERE band IN ({','.join('?' * len(keys))})", keys
        )
        best: tuple[int, int] | None = None
        for other, number in rows:
            gap = distance(fingerprint, other & ((1 << BITS) - 1))
            if gap <= MAX_DISTANCE and (best is None or (gap, number) < best):
                best = (gap, number)
        return None if best is None else best[1]

    def intend(self, name: str, number: int, new: bool) -> None:
        """Note, durably, that file ``name`` is about to be written for article ``number``."""
        self.db.execute("INSERT OR REPLACE INTO pending VALUES (?, ?, ?)", (name, number, int(new)))
        self.raise_next_number(number + 1)  # other processes sharing the folder see it taken
        self.commit()
        self.begin()

    def done(self, name: str) -> None:
        self.db.execute("DELETE FROM pending WHERE file = ?", (name,))

    def pending(self) -> Iterator[tuple[str, int, bool]]:
        """Files a process that died was writing: name, article number, and whether it was a new article."""
        for name, number, new in self.db.execute("SELECT file, id, new FROM pending").fetchall():
            yield name, number, bool(new)


def remove_index(directory: Path) -> None:
    """Delete the lookup index of the corpus in ``directory`` (it is rebuilt on the next open)."""
    for suffix in ("", "-wal", "-shm"):
        (directory / f"{LOOKUP}{suffix}").unlink(missing_ok=True)
