"""``make demo`` (``python -m sitefixture.demo``): crawl, archive, corpus and replay, then nothing left running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sitefixture.scrapyrun import ROOT


def test_the_demo_shows_everything_and_leaves_nothing_running(tmp_path: Path) -> None:
    pidfile = tmp_path / "wayback.pid"
    wayback = tmp_path / "fake-wayback"
    wayback.write_text(
        f"#!{sys.executable}\nimport os, pathlib, socket, sys, time\n"
        f"pathlib.Path({str(pidfile)!r}).write_text(str(os.getpid()))\n"
        "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[sys.argv.index('--port') + 1]))); s.listen()\n"
        "time.sleep(600)\n"
    )
    wayback.chmod(0o755)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sitefixture.demo",
            "--dir",
            str(tmp_path / "demo"),
            "--wayback",
            str(wayback),
            "--serve-seconds",
            "3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "written 8," in out  # the crawl's figures
    assert "news-" in out and ".warc.gz" in out
    assert "8 articles; their metadata" in out
    assert "== Replay: point a browser at http://127.0.0.1:" in out
    pid = int(pidfile.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"the replay server {pid} is still running")
