"""One crawl at a time per ``DATA_DIR``: an exclusive ``flock`` on ``DATA_DIR/crawl.lock``."""

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

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> DataDirLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirBusy(
                f"another crawl (pid {holder}) is using {self.path.parent}; "
                f"it holds {self.path}. Wait for it to finish."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
