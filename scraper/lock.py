"""One crawl at a time per ``DATA_DIR``: an exclusive ``flock`` on ``DATA_DIR/crawl.lock``.

Workers of one shared crawl (``REDIS_URL``) hold it shared: any number of them may
use the folder together, but not alongside a crawl of its own.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "crawl.lock"


class DataDirBusy(Exception):
    """Another process holds the lock of the data directory."""


class DataDirLock:
    """Hold ``DATA_DIR/crawl.lock`` for the life of the process (or until :meth:`release`).

    The kernel drops the lock when the holder dies, even by SIGKILL, so a
    crashed run never blocks the next one.
    """

    def __init__(self, data_dir: str | os.PathLike[str], shared: bool = False) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self.shared = shared
        self._fd: int | None = None

    def acquire(self) -> DataDirLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            who = (
                "workers of a shared crawl are"
                if holder == "shared"
                else f"another crawl (pid {holder}) is"
            )
            raise DataDirBusy(
                f"{who} using {self.path.parent}; they hold {self.path}. Wait for them to finish."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"shared\n" if self.shared else f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
