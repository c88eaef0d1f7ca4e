"""Run a command and measure it: wall seconds, CPU seconds and peak memory (PSS) of its whole process tree."""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scraper.workerpool import WARC_PACKING

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    returncode: int
    seconds: float
    cpu_seconds: float
    peak_rss: int  # bytes: proportional set size (PSS) of the process and its descendants at the worst moment
    output: str
    peak_parts: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # at that moment: role -> (processes, PSS bytes)
    cpu_parts: dict[str, tuple[int, float]] = field(
        default_factory=dict
    )  # over the run: role -> (processes, CPU seconds, user + system)
    crawl_threads: tuple[float, float] = (0.0, 0.0)  # CPU seconds: the root's main thread, others
    cpu_samples: list[tuple[float, float]] = field(
        default_factory=list
    )  # (seconds since the start, CPU seconds of the whole tree so far), every CPU_INTERVAL
    sampler_seconds: float = 0.0  # CPU seconds the measuring thread itself spent
    #: the root process's system CPU seconds (part of its CPU) and minor page faults
    root_system: tuple[float, int] = (0.0, 0)
    #: the machine's idle core-seconds over the run (``/proc/stat``: idle and iowait)
    machine_idle_seconds: float = 0.0

    @property
    def parts_cpu_seconds(self) -> float:
        """CPU seconds of every process of the tree, the roles of ``cpu_parts`` added up."""
        return sum(seconds for _, seconds in self.cpu_parts.values())

    def cores_busy(self, parts: int = 10) -> list[float]:
        """The cores the tree kept busy on average in each of ``parts`` equal spans of the run."""
        if not self.cpu_samples or self.seconds <= 0:
            return []
        span = self.seconds / parts
        busy = []
        for part in range(1, parts + 1):
            end = part * span
            before = [cpu for at, cpu in self.cpu_samples if at <= end - span]
            upto = [cpu for at, cpu in self.cpu_samples if at <= end]
            spent = (upto[-1] if upto else 0.0) - (before[-1] if before else 0.0)
            busy.append(spent / span)
        return busy

    def peak_breakdown(self) -> str:
        """The peak by role: "crawl 201 MiB, fork server 48 MiB, 2 x extraction worker 290 MiB"."""
        return ", ".join(
            f"{count} x {role} {size / 2**20:.0f} MiB"
            if count > 1
            else f"{role} {size / 2**20:.0f} MiB"
            for role, (count, size) in self.peak_parts.items()
        )

    def cpu_per(self, count: int) -> str:
        """CPU milliseconds per unit by role: "crawl 11.5 ms, fork server 0.1 ms, 2 x ..."."""
        return ", ".join(
            f"{processes} x {role} {1000 * seconds / count:.1f} ms"
            if processes > 1
            else f"{role} {1000 * seconds / count:.1f} ms"
            for role, (processes, seconds) in self.cpu_parts.items()
        )


ROLES = ("crawl", "fork server", "extraction worker", "WARC packer", "other")
#: Seconds between two readings of the tree's CPU times, and of its memory, and between two
#: looks through all of ``/proc`` for processes new in the tree (in between, only those known
#: are read). The kernel walks a process's page tables to give its PSS: about 3 ms for an
#: extraction worker, so memory read ten times a second kept 0.13 of a core busy beside the
#: tree measured; CPU read ten times a second, every process of the machine looked at each
#: time, kept 0.09 of a core busy (on 2 cores, 4% of the time the crawl measured lacked).
CPU_INTERVAL = 0.25
MEMORY_INTERVAL = 0.5
TREE_INTERVAL = 1.0


def _memory(pid: int) -> int:
    """PSS of ``pid``: its resident pages, shared ones divided among their users (RSS if PSS is unknown)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[21]) * PAGE
    except (OSError, IndexError):
        return 0


def _thread_ticks(pid: int) -> dict[int, int]:
    """User + system clock ticks of each thread of ``pid`` (the main thread's id is ``pid``)."""
    ticks = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return {}
    for task in tasks:
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks[int(task.name)] = int(fields[11]) + int(fields[12])
    return ticks


def _stat(pid: int) -> list[str] | None:
    """The ``/proc/PID/stat`` fields after the command name; ``None`` once ``pid`` is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _known(pids: Iterable[int]) -> dict[int, list[str]]:
    """The ``/proc/PID/stat`` fields of those of ``pids`` still running."""
    return {pid: fields for pid in pids if (fields := _stat(pid)) is not None}


def _tree(root: int) -> dict[int, list[str]]:
    """The ``/proc/PID/stat`` fields (after the command name) of ``root`` and its descendants."""
    stats: dict[int, list[str]] = {}
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = {}, [root]
    while stack:
        pid = stack.pop()
        if pid in stats:
            found[pid] = stats[pid]
        stack += children.get(pid, [])
    return found


def _role(pid: int, tree: dict[int, list[str]], root: int) -> str:
    """What ``pid`` is in a crawl's tree: the crawl itself, the pool's fork server, one of its workers."""
    if pid == root:
        return "crawl"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        command = b""
    if b"forkserver" in command:
        parent = int(tree[pid][1])
        if parent not in tree or parent == root:
            return "fork server"
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            name = ""
        return "WARC packer" if name == WARC_PACKING else "extraction worker"
    return "other"


def _parts(
    tree: dict[int, list[str]], sizes: dict[int, int], root: int
) -> dict[str, tuple[int, int]]:
    """Processes and PSS bytes of each role in the tree."""
    parts: dict[str, tuple[int, int]] = {}
    for pid in tree:
        count, size = parts.get(role := _role(pid, tree, root), (0, 0))
        parts[role] = (count + 1, size + sizes[pid])
    return parts


def _machine_idle_ticks() -> int:
    """Clock ticks every core of the machine has spent idle (or waiting for I/O) since boot."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[4]) + int(fields[5])


def measure(
    command: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 7200,
    started_as: Callable[[int], object] | None = None,
) -> Measured:
    """Run ``command`` to its end, sampling the CPU times of its process tree every
    ``CPU_INTERVAL`` seconds and its memory every ``MEMORY_INTERVAL``.

    ``started_as`` is called with the pid of the command once it runs (a profiler attaches).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    idle_before = _machine_idle_ticks()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    if started_as is not None:
        started_as(process.pid)
    peak = 0
    peak_parts: dict[str, tuple[int, int]] = {}
    cpu_ticks: dict[int, int] = {}  # per process ever seen in the tree, its own user + system time
    roles: dict[int, str] = {}  # per process ever seen, its role (a packer names itself later)
    threads: dict[int, int] = {}  # per thread ever seen in the root process, its CPU ticks
    root_system = (0.0, 0)
    samples: list[tuple[float, float]] = []
    sampler_seconds = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_parts, sampler_seconds, root_system
        weighed = looked = 0.0
        tree: dict[int, list[str]] = {}
        while not done.wait(CPU_INTERVAL):
            full = time.perf_counter() - looked >= TREE_INTERVAL
            if full:
                looked = time.perf_counter()
                tree = _tree(process.pid)
            else:
                tree = _known(tree)
            if time.perf_counter() - weighed >= MEMORY_INTERVAL:
                weighed = time.perf_counter()
                sizes = {pid: _memory(pid) for pid in tree}
                if sum(sizes.values()) > peak:
                    peak = sum(sizes.values())
                    peak_parts = _parts(tree, sizes, process.pid)
            threads.update(_thread_ticks(process.pid))
            for pid, fields in tree.items():
                cpu_ticks[pid] = int(fields[11]) + int(fields[12])
                if pid == process.pid:
                    root_system = (int(fields[12]) / TICKS, int(fields[7]))
                if pid not in roles or (full and roles[pid] == "extraction worker"):
                    role = _role(pid, tree, process.pid)  # a packer names itself once it runs
                    if pid not in roles or role == "WARC packer":
                        roles[pid] = role
            samples.append((time.perf_counter() - started, sum(cpu_ticks.values()) / TICKS))
        spent = resource.getrusage(resource.RUSAGE_THREAD)
        sampler_seconds = spent.ru_utime + spent.ru_stime

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate(timeout=timeout)
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    idle_seconds = (_machine_idle_ticks() - idle_before) / TICKS
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Processes our child did not wait for (a fork server's workers) are missing from
    # RUSAGE_CHILDREN; the samples have them, up to the last CPU_INTERVAL.
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu = max(waited, sum(cpu_ticks.values()) / TICKS)
    cpu_parts: dict[str, tuple[int, float]] = {}
    for pid, ticks in cpu_ticks.items():
        count, spent = cpu_parts.get(roles[pid], (0, 0.0))
        cpu_parts[roles[pid]] = (count + 1, spent + ticks / TICKS)
    return Measured(
        process.returncode,
        seconds,
        cpu,
        peak,
        output.decode("utf-8", "replace"),
        peak_parts,
        dict(sorted(cpu_parts.items(), key=lambda part: ROLES.index(part[0]))),
        (
            threads.get(process.pid, 0) / TICKS,
            sum(ticks for tid, ticks in threads.items() if tid != process.pid) / TICKS,
        ),
        samples,
        sampler_seconds,
        root_system,
        idle_seconds,
    )
