"""Persistent crawl state in SQLite: what each URL gave, where it is archived, what came of it.

Scrapy-free. One row per canonical URL; a second table keeps per-source figures of
every run, so a source that went quiet or started failing can be reported.
"""

from __future__ import annotations

import json
import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from archive.exchange import Revisit
from archive.writer import RecordLocation
from corpus.diskerrors import disk_failed
from scraper.paths import state_path

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,           -- canonical URL
    source TEXT NOT NULL,
    kind TEXT NOT NULL,             -- article, feed, sitemap, section, home, robots
    fetched_at TEXT,                -- WARC-Date of the last fetch
    status INTEGER,                 -- HTTP status of the last fetch
    etag TEXT,
    last_modified TEXT,
    payload_digest TEXT,            -- of the last full capture
    record_id TEXT,                 -- the last full capture (a response record) ...
    record_date TEXT,
    record_uri TEXT,
    warc_filename TEXT,             -- ... and where it is
    warc_offset INTEGER,
    warc_length INTEGER,
    outcome TEXT,                   -- articles: corpus, filtered:<reason>, http:<status>
    corpus_id INTEGER
);
CREATE INDEX IF NOT EXISTS urls_source_kind ON urls (source, kind);
CREATE INDEX IF NOT EXISTS urls_corpus_id ON urls (corpus_id) WHERE corpus_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS source_runs (
    run TEXT NOT NULL,              -- start time of the run
    source TEXT NOT NULL,
    figures TEXT NOT NULL,          -- JSON: the run's summary figures of the source
    PRIMARY KEY (run, source)
);
"""


#: Statuses past three digits are stored as -1: a server that answers with one sent no HTTP.
MAX_STATUS = 999


class StateWriteFailed(Exception):
    """The state file could not be written: a full disk, an I/O error. The message names the file."""


class StateUnusable(Exception):
    """The state file is no SQLite database, or a damaged one. The message names the file."""


def check_state(path: str | os.PathLike[str]) -> None:
    """Raise :class:`StateUnusable` unless the state file at ``path`` is missing or a sound database."""
    if not Path(path).exists():
        return
    try:
        db = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        if disk_failed(error):  # a full disk cannot even open it to read: it may be sound
            raise StateWriteFailed(f"{path}: {error}") from error
        raise StateUnusable(f"{path}: {error}") from error
    if problems != ["ok"]:
        detail = " ".join(" ".join(problems).split())[:120]
        raise StateUnusable(f"{path}: the database is damaged ({detail})")


@dataclass(frozen=True)
class Capture:
    """The last full response archived for a URL: what a revisit refers to."""

    record_id: str
    record_date: str
    record_uri: str
    payload_digest: str
    warc_filename: str
    warc_offset: int
    warc_length: int

    @property
    def location(self) -> RecordLocation:
        return RecordLocation(
            self.warc_filename, self.warc_offset, self.warc_length, self.record_id
        )

    def revisit(self, profile: str) -> Revisit:
        """What a revisit record of this capture by ``profile`` refers to."""
        return Revisit(
            profile, self.record_id, self.record_uri, self.record_date, self.payload_digest
        )


@dataclass(frozen=True)
class UrlState:
    """Everything remembered about one canonical URL."""

    url: str
    source: str
    kind: str
    fetched_at: str | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    payload_digest: str | None = None
    record_id: str | None = None
    record_date: str | None = None
    record_uri: str | None = None
    warc_filename: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    outcome: str | None = None
    corpus_id: int | None = None

    @property
    def capture(self) -> Capture | None:
        """The last full capture, if there is one (its columns are written together)."""
        values = {name: getattr(self, name) for name in _CAPTURE_COLUMNS}
        return None if None in values.values() else Capture(**values)


_COLUMNS = [f.name for f in fields(UrlState)]
_CAPTURE_COLUMNS = [f.name for f in fields(Capture)]


class FetchRecorder(ABC):
    """How a fetch is remembered, the same in every store (see ``scraper.statestore.CrawlStateStore``)."""

    def record_fetch(
        self,
        url: str,
        *,
        source: str,
        kind: str,
        fetched_at: str,
        status: int,
        etag: str | None = None,
        last_modified: str | None = None,
        capture: Capture | None = None,
    ) -> None:
        """Remember a fetch; ``capture`` is the full response record, if this fetch wrote one.

        A 304 (no ``capture``) need not repeat the validators: it keeps those of the
        capture it confirms. A new capture replaces them, even with none.
        """
        if not 0 <= status <= MAX_STATUS:  # no HTTP status, and past what SQLite's INTEGER holds
            status = -1
        values: dict[str, Any] = {
            "source": source,
            "kind": kind,
            "fetched_at": fetched_at,
            "status": status,
            "etag": etag,
            "last_modified": last_modified,
        }
        if capture is not None:
            values.update(asdict(capture))
        self._write_fetch(url, values, {"etag", "last_modified"} if capture is None else set())

    @abstractmethod
    def _write_fetch(self, url: str, values: dict[str, Any], keep: set[str]) -> None:
        """Store ``values`` for ``url``; a name in ``keep`` whose value is None keeps its stored value."""


class CrawlState(FetchRecorder):
    """The SQLite state store at ``path``; every write is committed at once."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as error:
            if disk_failed(error):
                raise StateWriteFailed(f"{self.path}: {error}") from error
            raise StateUnusable(f"{self.path}: {error}") from error

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The state at ``CRAWL_STATE_FILE`` (by default ``DATA_DIR/state.sqlite``)."""
        return cls(state_path(crawler.settings))

    @classmethod
    def check_state(cls, settings: BaseSettings) -> None:
        """Raise :class:`StateUnusable` unless ``CRAWL_STATE_FILE`` is missing or a sound database."""
        check_state(state_path(settings))

    @classmethod
    def open_to_read(cls, settings: BaseSettings) -> Self | None:
        """The state at ``CRAWL_STATE_FILE`` to read only, or None when there is no such file."""
        path = state_path(settings)
        return cls.reader(path) if path.exists() else None

    @classmethod
    def reader(cls, path: str | os.PathLike[str]) -> Self:
        """Open the existing state at ``path`` for reading only: nothing is created or written."""
        state = cls.__new__(cls)
        state.path = Path(path)
        # immutable: SQLite makes no -wal or -shm file, so a read-only DATA_DIR can be read and
        # a writable one is left as it was. A run still going may not be seen: it records at its end.
        uri = f"{state.path.resolve().as_uri()}?immutable=1"
        state.db = sqlite3.connect(uri, uri=True, isolation_level=None)
        return state

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn a full or failing disk into :class:`StateWriteFailed` naming the file."""
        try:
            yield
        except sqlite3.OperationalError as error:
            damaged = (error.sqlite_errorname or "").startswith("SQLITE_CORRUPT")
            if not (disk_failed(error) or damaged):
                raise
            raise StateWriteFailed(f"{self.path}: {error}") from error

    def get(self, url: str) -> UrlState | None:
        row = self.db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM urls WHERE url = ?", (url,)
        ).fetchone()
        return UrlState(*row) if row else None

    def _write_fetch(self, url: str, values: dict[str, Any], keep: set[str]) -> None:
        values = {"url": url, **values}
        names = ", ".join(values)
        updates = ", ".join(
            f"{name} = COALESCE(excluded.{name}, {name})"
            if name in keep
            else f"{name} = excluded.{name}"
            for name in values
            if name != "url"
        )
        with self._writing():
            self.db.execute(
                f"INSERT INTO urls ({names}) VALUES ({', '.join('?' * len(values))}) "
                f"ON CONFLICT (url) DO UPDATE SET {updates}",
                list(values.values()),
            )

    def record_outcome(self, url: str, outcome: str, corpus_id: int | None = None) -> None:
        """Remember what became of an article URL."""
        with self._writing():
            self.db.execute(
                "UPDATE urls SET outcome = ?, corpus_id = COALESCE(?, corpus_id) WHERE url = ?",
                (outcome, corpus_id, url),
            )

    @classmethod
    def forget_corpus_ids_above(cls, settings: BaseSettings, last_id: int | None) -> int:
        """Unsettle the URLs whose outcome names a corpus id past ``last_id``; how many there were.

        ``last_id`` is the highest id the corpus manifest lists (``None``: none). A
        higher one was cut from the manifest as a torn line, so the next crawl must
        fetch (or read from the archive) and write those articles again.
        """
        state = cls(state_path(settings))
        try:
            with state._writing():
                return state.db.execute(
                    "UPDATE urls SET outcome = NULL, corpus_id = NULL WHERE corpus_id > ?",
                    (-1 if last_id is None else last_id,),
                ).rowcount
        finally:
            state.close()

    def articles_fetched_before(self, source: str, cutoff: str) -> Iterator[str]:
        """Yield article URLs of ``source`` last fetched before ``cutoff`` (a WARC-Date)."""
        rows = self.db.execute(
            "SELECT url FROM urls WHERE source = ? AND kind = 'article' AND outcome IS NOT NULL "
            "AND fetched_at < ? ORDER BY fetched_at",
            (source, cutoff),
        )
        yield from (url for (url,) in rows)

    def record_run(self, run: str, source: str, figures: dict[str, Any]) -> None:
        """Keep the summary figures of one source for one run."""
        with self._writing():
            self.db.execute(
                "INSERT OR REPLACE INTO source_runs (run, source, figures) VALUES (?, ?, ?)",
                (run, source, json.dumps(figures, sort_keys=True)),
            )

    def last_run(self, source: str) -> tuple[str, dict[str, Any]] | None:
        """Return the start time and figures of the last run of ``source``, if any."""
        row = self.db.execute(
            "SELECT run, figures FROM source_runs WHERE source = ? ORDER BY run DESC LIMIT 1",
            (source,),
        ).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def recent_runs(self, source: str, count: int) -> list[dict[str, Any]]:
        """Return the figures of the last ``count`` runs of ``source``, newest first."""
        rows = self.db.execute(
            "SELECT figures FROM source_runs WHERE source = ? ORDER BY run DESC LIMIT ?",
            (source, count),
        )
        return [json.loads(figures) for (figures,) in rows]

    def runs_since(self, source: str, since: str) -> list[tuple[str, dict[str, Any]]]:
        """Return the start times and figures of the runs of ``source`` started at ``since`` or later, newest first."""
        rows = self.db.execute(
            "SELECT run, figures FROM source_runs WHERE source = ? AND run >= ? ORDER BY run DESC",
            (source, since),
        )
        return [(run, json.loads(figures)) for run, figures in rows]
