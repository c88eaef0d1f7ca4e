"""``scrapy serve``: browse the archive with pywb, as a collection named ``news``."""

from __future__ import annotations

import argparse
import errno
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.utils.conf import closest_scrapy_cfg

from archive.cdxj import INDEX_FOLDER, ensure_indexes
from archive.reader import archive_files
from archive.replayindex import write_replay_index
from scraper import exitcodes
from scraper.commandline import CheckedCommand, CommandFailed, reports_failure
from scraper.paths import archive_dir, data_dir

COLLECTION = "news"
PYWB_VENV = ".venv-pywb"  # the Makefile builds the same one for the tests
PYWB_REQUIREMENT = "pywb>=2.8"
DEFAULT_PORT = 8080


def pywb_config(archive: Path, indexes: Path) -> dict[str, object]:
    """pywb's configuration: one collection over the WARC files and the replay index in ``indexes``."""
    return {
        "collections": {
            COLLECTION: {
                "archive_paths": str(archive.resolve()) + os.sep,
                "index_paths": str(indexes.resolve()) + os.sep,
            }
        },
        "enable_memento": True,
    }


def pywb_venv() -> Path:
    """``.venv-pywb`` beside the project's ``scrapy.cfg``: pywb's own environment (it pins an old redis)."""
    cfg = closest_scrapy_cfg()
    return (Path(cfg).parent if cfg else Path.cwd()) / PYWB_VENV


def wayback_command(configured: str) -> list[str] | None:
    """How to start pywb's ``wayback`` server: ``PYWB_WAYBACK``, else pywb in this Python, else
    the project's ``.venv-pywb``, else ``wayback`` on PATH."""
    if configured:
        found = shutil.which(configured)
        return [found] if found else None
    if importlib.util.find_spec("pywb") is not None:
        return [sys.executable, "-m", "pywb.apps.cli"]
    own = pywb_venv() / "bin" / "wayback"
    if own.exists():
        return [str(own)]
    found = shutil.which("wayback")
    return [found] if found else None


def build_pywb_venv() -> list[str] | None:
    """Install pywb into the project's ``.venv-pywb`` (once, with pip); its ``wayback``, or None."""
    venv = pywb_venv()
    log = venv.parent / f"{PYWB_VENV}.log"
    print(
        f"pywb is not installed: installing it once into {venv}, its own environment (a minute or two; log {log})",
        flush=True,
    )
    with log.open("w") as output:
        for step in (
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", PYWB_REQUIREMENT],
        ):
            if (
                subprocess.run(
                    step, stdout=output, stderr=subprocess.STDOUT, check=False
                ).returncode
                != 0
            ):
                return None
    wayback = venv / "bin" / "wayback"
    return [str(wayback)] if wayback.exists() else None


class Command(CheckedCommand, ScrapyCommand):
    """Index any WARC file not indexed yet, write pywb's config under ``DATA_DIR/pywb`` and run pywb."""

    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[--port N] [--bind ADDRESS] [--archive DIR]"

    def short_desc(self) -> str:
        return f"Browse the archive with pywb at http://ADDRESS:N/{COLLECTION}/"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--port",
            type=port_number,
            default=DEFAULT_PORT,
            help=f"port to listen on (default {DEFAULT_PORT})",
        )
        parser.add_argument(
            "--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
        )
        parser.add_argument("--archive", help="WARC files to serve (default ARCHIVE_DIR)")

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        archive = Path(opts.archive) if opts.archive else archive_dir(self.settings)
        if not archive.is_dir() or not archive_files(archive):
            raise CommandFailed(
                f"no WARC files to serve in {archive} (set --archive or ARCHIVE_DIR)"
            )
        configured = self.settings.get("PYWB_WAYBACK") or ""
        wayback = wayback_command(configured)
        if wayback is None and configured:
            raise CommandFailed(f"PYWB_WAYBACK {configured} is not a program that can be run")
        if wayback is None:
            wayback = build_pywb_venv()
        if wayback is None:
            raise CommandFailed(
                f"pywb could not be installed into {pywb_venv()} (see {pywb_venv()}.log); "
                "install pywb in an environment of its own and set PYWB_WAYBACK to its wayback program",
                exitcodes.FAILED,
            )
        for index in ensure_indexes(archive):
            print(f"Indexed {index.name}")
        config = data_dir(self.settings) / "pywb" / "config.yaml"
        config.parent.mkdir(parents=True, exist_ok=True)
        # 304 revisits point at their originals there, so pywb shows the page, not an empty 304.
        indexes = write_replay_index(archive, config.parent / INDEX_FOLDER).parent
        config.write_text(
            json.dumps(pywb_config(archive, indexes), indent=2) + "\n"
        )  # JSON is YAML
        port, taken = probe_port(opts.bind, opts.port)
        if taken:
            raise CommandFailed(f"cannot listen on {opts.bind}:{port}: {taken}")
        print(
            f"Serving {archive} at http://{opts.bind}:{port}/{COLLECTION}/ (pywb config: {config})",
            flush=True,
        )
        command = [*wayback, "--port", str(port), "--bind", opts.bind]
        self.exitcode = run_until_stopped(
            command, {**os.environ, "PYWB_CONFIG_FILE": str(config.resolve())}
        )


def port_number(text: str) -> int:
    """``--port``: a TCP port, 0 (any free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return port


def probe_port(bind: str, port: int) -> tuple[int, str | None]:
    """The port pywb can listen on at ``bind`` (a free one for 0), or why it cannot, with the
    option to change."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as pywb's server does
        try:
            probe.bind((bind, port))
        except OSError as error:
            option = "--port" if error.errno == errno.EADDRINUSE else "--bind"
            return port, f"{error.strerror or error} (pass another {option})"
        return probe.getsockname()[1], None


def run_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run the server until it ends or Ctrl-C / SIGTERM stops it; return the exit code."""
    # Its own session: a Ctrl-C reaches only us, and pywb gets one SIGTERM (no traceback).
    server = subprocess.Popen(command, env=env, start_new_session=True)
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        server.terminate()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    code = server.wait()
    if stopping:
        print("Stopped serving.", file=sys.stderr)
        return exitcodes.OK
    print(f"error: pywb ({command[0]}) ended with exit code {code}", file=sys.stderr)
    return exitcodes.FAILED
