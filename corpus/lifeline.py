"""Tie the extraction pool's processes to the crawl: they outlive no stop signal's shutdown and no crawl.

The fork server and its workers ignore SIGINT and SIGTERM (a Ctrl-C, ``systemctl stop`` or
``timeout`` signals the whole process group; the crawl shuts the pool down itself, in order),
and they die with their parent: on Linux the kernel sends SIGKILL when the parent dies
(``PR_SET_PDEATHSIG``); everywhere a worker also watches its parent and exits once it is gone
(the fork server watches the crawl through its own pipe, which reads EOF when the crawl dies).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
_WATCH_SECONDS = 0.5


def ignore_stop_signals() -> None:
    """Leave SIGINT and SIGTERM to the crawl, which stops the pool in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """Have the kernel send ``sig`` to this process when its parent ``parent`` dies (Linux only)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def _children() -> list[int]:
    """This process's children, read from ``/proc`` (none where there is no ``/proc``)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def kill_children() -> None:
    """SIGKILL this process's children: workers still starting have set no parent-death signal yet."""
    for pid in _children():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _orphaned(signum: int, frame: object) -> None:
    kill_children()
    os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def watch_parent(parent: int) -> None:
    """Exit once the parent ``parent`` is gone (this process is then adopted by another)."""
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def bind_fork_server() -> None:
    """Run in the fork server as it starts (it imports :mod:`corpus.preload`).

    When the crawl dies the fork server takes its children along: the kernel signals
    it (SIGUSR1) on Linux; elsewhere it exits when its pipe from the crawl reads EOF.
    """
    ignore_stop_signals()
    signal.signal(signal.SIGUSR1, _orphaned)
    atexit.register(kill_children)
    die_with_parent(os.getppid(), signal.SIGUSR1)


def name_process(name: str) -> None:
    """Show this process as ``name`` (15 bytes at most) in ``ps``, ``top`` and ``/proc/PID/comm``
    (Linux only)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
        except (OSError, AttributeError):
            pass


def bind_worker(name: str | None = None) -> None:
    """Run in each pool worker as it starts (the pool's initializer); ``name`` names the process."""
    if name:
        name_process(name)
    ignore_stop_signals()
    parent = os.getppid()
    die_with_parent(parent)
    watch_parent(parent)
