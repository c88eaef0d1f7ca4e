"""Tell a full or failing disk from a damaged SQLite file: the one stops the run, the other is
rebuilt or named."""

from __future__ import annotations

import sqlite3

#: SQLite's names of the errors a full, failing or unwritable disk gives (extended names,
#: such as ``SQLITE_IOERR_SHMOPEN``, start with them).
DISK_ERRORS = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY")


def disk_failed(error: sqlite3.Error) -> bool:
    """Whether ``error`` says the disk under the database failed, not the database itself."""
    return (getattr(error, "sqlite_errorname", "") or "").startswith(DISK_ERRORS)
