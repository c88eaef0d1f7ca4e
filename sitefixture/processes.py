"""Find the processes of a crawl (its fork server, workers, resource tracker) through ``/proc``."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def _stat(pid: int) -> list[str] | None:
    """The ``/proc/PID/stat`` fields after the command name: state, ppid, pgrp, session..."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode(errors="replace")
            .strip()
        )
    except OSError:
        return ""


def _living() -> dict[int, list[str]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[0] not in ("Z", "X"):  # zombies have exited
                found[int(entry.name)] = fields
    return found


def descendants(root: int) -> dict[int, str]:
    """The living descendants of ``root``: pid -> command line."""
    children: dict[int, list[int]] = {}
    for pid, fields in _living().items():
        children.setdefault(int(fields[1]), []).append(pid)
    found: dict[int, str] = {}
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found[pid] = _cmdline(pid)
        stack += children.get(pid, [])
    return found


def in_session(session: int) -> dict[int, str]:
    """The living processes of session ``session`` (a process started with ``start_new_session``): pid -> command line.

    Unlike :func:`descendants`, this finds helpers left behind when their parent died.
    """
    return {pid: _cmdline(pid) for pid, fields in _living().items() if int(fields[3]) == session}


def fork_servers(crawl: int, living: dict[int, list[str]] | None = None) -> set[int]:
    """The fork servers crawl process ``crawl`` started (the extraction pool's comes from one),
    among ``living`` (by default, the processes alive now)."""
    return {
        pid
        for pid, fields in (_living() if living is None else living).items()
        if int(fields[1]) == crawl and "forkserver" in _cmdline(pid)
    }


def extraction_workers(crawl: int) -> list[int]:
    """The pool workers of crawl process ``crawl``: the children of its fork server (the
    extraction pool's, and the WARC packers' when ``WARC_PROCESSES`` starts them)."""
    living = _living()  # one walk of /proc for both: wait_for_pool asks every 5 ms
    servers = fork_servers(crawl, living)
    return sorted(pid for pid, fields in living.items() if int(fields[1]) in servers)


def workers_named(crawl: int, name: str) -> list[int]:
    """The pool workers of crawl process ``crawl`` that named themselves ``name`` (``comm``)."""
    found = []
    for pid in extraction_workers(crawl):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                found.append(pid)
        except OSError:
            continue
    return found


def wait_for_pool(process: subprocess.Popen[str], timeout: float = 60) -> list[int]:
    """The extraction workers of the crawl ``process`` once its pool has started; ``[]`` if the
    crawl ended first or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while not (workers := extraction_workers(process.pid)):
        if process.poll() is not None or time.monotonic() > deadline:
            return []
        time.sleep(0.005)
    return workers
