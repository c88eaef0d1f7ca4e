"""Profile a running process with py-spy (``pip install py-spy``) and say where its time went."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


class PySpy:
    """``py-spy record`` attached to one process (not its children) until it exits."""

    def __init__(self, output: Path, rate: int = 100, gil: bool = False) -> None:
        self.output = output
        self.rate = rate
        self.gil = gil  # sample only the thread that holds the GIL
        self.process: subprocess.Popen[bytes] | None = None
        found = Path(sys.executable).parent / "py-spy"
        self.binary = str(found) if found.exists() else shutil.which("py-spy")
        if self.binary is None:
            raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")

    def attach(self, pid: int) -> None:
        """Start sampling ``pid``; py-spy stops by itself when the process ends."""
        assert self.binary is not None
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "record", "--pid", str(pid), "--rate", str(self.rate)]
            + ["--format", "raw", "--nonblocking", "--output", str(self.output)]
            + (["--gil"] if self.gil else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait(self) -> None:
        """Wait for py-spy to write its file; fail naming the reason if it could not sample."""
        assert self.process is not None
        _, errors = self.process.communicate(timeout=120)
        if not self.output.exists():
            raise SystemExit(f"py-spy wrote no profile: {errors.decode(errors='replace')[-500:]}")


def top_entries(raw: Path, count: int = 15) -> tuple[int, list[tuple[str, int, int]]]:
    """From py-spy's raw (collapsed stacks) file: the samples, and the ``count`` functions
    with the most samples of their own, each as (function, own samples, samples under it)."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        frames = [_LINE.sub(")", frame) for frame in stack.split(";")[1:]]  # [0] is the thread
        total += int(samples)
        if frames:
            own[frames[-1]] += int(samples)
        for frame in set(frames):
            under[frame] += int(samples)
    return total, [(name, samples, under[name]) for name, samples in own.most_common(count)]


def report(raw: Path, count: int = 15) -> None:
    """Print the top entries of ``raw``, by own samples, with the share under each."""
    total, entries = top_entries(raw, count)
    print(f"profile of the crawl process: {total} samples, top {count} by own time ({raw})")
    print("   own  under  function")
    for name, samples, below in entries:
        print(f"{100 * samples / max(total, 1):5.1f}% {100 * below / max(total, 1):5.1f}%  {name}")
