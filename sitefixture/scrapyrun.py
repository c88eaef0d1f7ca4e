"""Run ``scrapy`` as a user would, in a subprocess, against fixture sites."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Settings that let a crawl reach 127.0.0.1 at full speed.
LOCAL_SETTINGS = {
    "ALLOW_PRIVATE_ADDRESSES": "True",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
}


@dataclass
class CrawlResult:
    """What one ``scrapy crawl news`` run left behind."""

    returncode: int
    log: str
    data_dir: Path

    @property
    def archive(self) -> Path:
        return self.data_dir / "archive"

    @property
    def corpus(self) -> Path:
        return self.data_dir / "corpus"

    def manifest(self) -> list[dict[str, Any]]:
        path = self.corpus / "index.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def warc_files(self) -> list[Path]:
        return sorted(self.archive.glob("*.warc.gz"))


def setting_assignment(text: str) -> tuple[str, str]:
    """``NAME=VALUE``, a setting as ``scrapy -s`` takes it, split; a ``ValueError`` otherwise."""
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise ValueError(f"{text!r} is not NAME=VALUE")
    return name, value


def scrapy_command(
    args: list[str], settings: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """Return the command line and environment of ``scrapy ARGS`` with ``LOCAL_SETTINGS`` plus ``settings``."""
    command = [sys.executable, "-m", "scrapy", *args]
    for name, value in {**LOCAL_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "scraper.settings", "PYTHONPATH": str(ROOT)}
    return command, env


def run_scrapy(
    args: list[str],
    workdir: Path,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
    limit: tuple[int, int] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy ARGS`` in ``workdir`` and wait for it; ``limit``, a resource limit of
    its process (``(resource.RLIMIT_FSIZE, 4096)``: no file grows past 4 KiB)."""
    command, env = scrapy_command(args, settings)
    return subprocess.run(
        command,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=None if limit is None else lambda: resource.setrlimit(limit[0], (limit[1],) * 2),
    )


def start_scrapy(
    args: list[str], workdir: Path, settings: dict[str, str], log: Path | None = None
) -> subprocess.Popen[str]:
    """Start ``scrapy ARGS`` in ``workdir`` in a session of its own (its pid is the session's id),
    its log and output in one pipe, or in the file ``log``."""
    command, env = scrapy_command(args, settings)
    with open(log, "wb") if log else contextlib.nullcontext(subprocess.PIPE) as output:
        return subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {timeout} s")
        time.sleep(0.05)


def run_signalled(
    args: list[str],
    workdir: Path,
    settings: dict[str, str],
    signals: list[tuple[str, signal.Signals]],
    timeout: float = 60,
    ready: Callable[[], bool] | None = None,
) -> tuple[int, str]:
    """Run ``scrapy ARGS``, send each signal once its log line shows (in turn); its code and log.

    ``signals`` pairs a text to wait for in the log with the signal to send then; after the
    last, the rest of the log is read and the process waited for (``timeout`` seconds).
    ``ready``, when given, must also hold before the first signal is sent: a log line can come
    before Scrapy's reactor runs and installs its signal handlers, a request to the site cannot.
    """
    command, env = scrapy_command(args, settings)
    process = subprocess.Popen(command, cwd=workdir, env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    waiting = list(signals)
    lines = []
    try:
        for line in process.stderr:
            lines.append(line)
            if waiting and waiting[0][0] in line:
                if ready is not None and len(waiting) == len(signals):
                    _wait_for(ready, timeout)
                process.send_signal(waiting.pop(0)[1])
                if not waiting:
                    break
        rest: list[str] = []  # read aside, so that a process that never ends fails the wait
        reader = threading.Thread(target=lambda: rest.extend(process.stderr or ()), daemon=True)
        reader.start()
        code = process.wait(timeout=timeout)
        reader.join()
        return code, "".join(lines + rest)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def crawl(
    workdir: Path,
    sources_text: str,
    settings: dict[str, str] | None = None,
    args: list[str] | None = None,
    timeout: float = 120,
) -> CrawlResult:
    """Write ``sources_text`` to a sources file and crawl it into ``workdir/data``."""
    workdir.mkdir(parents=True, exist_ok=True)
    sources = workdir / "sources.toml"
    sources.write_text(sources_text)
    data = workdir / "data"
    done = run_scrapy(
        ["crawl", "news", *(args or [])],
        workdir,
        {"SOURCES_FILE": str(sources), "DATA_DIR": str(data), **(settings or {})},
        timeout=timeout,
    )
    return CrawlResult(done.returncode, done.stderr + done.stdout, data)
