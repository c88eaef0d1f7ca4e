"""One crawl at a time per ``DATA_DIR``: an exclusive ``flock`` on ``DATA_DIR/crawl.lock``.

Workers of one shared crawl (``REDIS_URL``) hold it shared: any number of them may
use the folder together, but not alongside a crawl of its own, nor alongside the
workers of another shared crawl (another Redis or ``REDIS_KEY_PREFIX``: its corpus
numbers and crawl state are not theirs).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "crawl.lock"
GUARD_FILE = ".crawl.lock.guard"  # held a moment while a shared worker checks whose the lock is
SHARED = "shared"


def last_shared_crawl(data_dir: str | os.PathLike[str]) -> str | None:
    """The shared crawl whose workers last held the lock of ``data_dir``; None if none did."""
    try:
        holder = (Path(data_dir) / LOCK_FILE).read_text(errors="replace").strip()
    except OSError:
        return None
    shared, crawl = _parse_holder(holder)
    return crawl if shared and crawl else None


def _parse_holder(holder: str) -> tuple[bool, str]:
    """What the lock file says: whether shared-crawl workers hold it, and the crawl or pid named."""
    kind, _, crawl = holder.partition(" ")
    return (True, crawl) if kind == SHARED else (False, holder)


class DataDirBusy(Exception):
    """Another process holds the lock of the data directory."""


class DataDirLock:
    """Hold ``DATA_DIR/crawl.lock`` for the life of the process (or until :meth:`release`).

    ``shared`` names the shared crawl this process is a worker of (None: a crawl of its
    own). The kernel drops the lock when the holder dies, even by SIGKILL, so a crashed
    run never blocks the next one.
    """

    def __init__(self, data_dir: str | os.PathLike[str], shared: str | None = None) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self.shared = shared
        self._fd: int | None = None

    def acquire(self) -> DataDirLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if self.shared is None:
                self._lock(fd, fcntl.LOCK_EX)
                self._write(fd, str(os.getpid()))
            else:
                self._join(fd, self.shared)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def _join(self, fd: int, crawl: str) -> None:
        """Hold the lock shared with the other workers of ``crawl``, if any hold it.

        Never by converting a shared lock to an exclusive one: a conversion that fails
        drops the lock held.
        """
        guard = os.open(self.path.parent / GUARD_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(guard, fcntl.LOCK_EX)  # one worker at a time decides
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # held: by workers of this crawl?
                self._lock(fd, fcntl.LOCK_SH)
                holder = self._holder(fd)
                if holder != f"{SHARED} {crawl}":
                    raise DataDirBusy(self._busy(holder)) from None
                return
            self._write(fd, f"{SHARED} {crawl}")  # the first worker
            self._lock(fd, fcntl.LOCK_SH)
        finally:
            os.close(guard)

    def _lock(self, fd: int, kind: int) -> None:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirBusy(self._busy(self._holder(fd))) from None

    def _busy(self, holder: str) -> str:
        shared, crawl = _parse_holder(holder)
        if shared:
            who = (
                f"workers of the shared crawl {crawl} are"
                if crawl
                else "workers of a shared crawl are"
            )
        else:
            who = f"another crawl (pid {crawl or 'unknown'}) is"
        return f"{who} using {self.path.parent}; they hold {self.path}. Wait for them to finish."

    @staticmethod
    def _holder(fd: int) -> str:
        return os.pread(fd, 512, 0).decode(errors="replace").strip()

    @staticmethod
    def _write(fd: int, holder: str) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder}\n".encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
