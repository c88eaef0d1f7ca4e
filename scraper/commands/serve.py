"""``scrapy serve``: browse the archive with pywb, as a collection named ``news``."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand

from archive.cdxj import INDEX_FOLDER, ensure_indexes
from archive.reader import archive_files
from scraper import exitcodes
from scraper.paths import archive_dir, data_dir

COLLECTION = "news"
DEFAULT_PORT = 8080


def pywb_config(archive: Path) -> dict[str, object]:
    """pywb's configuration: one collection over the WARC files and their CDXJ indexes."""
    return {
        "collections": {
            COLLECTION: {
                "archive_paths": str(archive.resolve()) + os.sep,
                "index_paths": str((archive / INDEX_FOLDER).resolve()) + os.sep,
            }
        },
        "enable_memento": True,
    }


def wayback_command(configured: str) -> list[str] | None:
    """How to start pywb's ``wayback`` server: ``PYWB_WAYBACK``, else pywb in this Python, else on PATH."""
    if configured:
        found = shutil.which(configured)
        return [found] if found else None
    if importlib.util.find_spec("pywb") is not None:
        return [sys.executable, "-m", "pywb.apps.cli"]
    found = shutil.which("wayback")
    return [found] if found else None


class Command(ScrapyCommand):
    """Index any WARC file not indexed yet, write pywb's config under ``DATA_DIR/pywb`` and run pywb."""

    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[--port N] [--bind ADDRESS] [--archive DIR]"

    def short_desc(self) -> str:
        return f"Browse the archive with pywb at http://ADDRESS:N/{COLLECTION}/"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default: {DEFAULT_PORT})")
        parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
        parser.add_argument("--archive", help="WARC files to serve (default: ARCHIVE_DIR)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        archive = Path(opts.archive) if opts.archive else archive_dir(self.settings)
        if not archive.is_dir() or not archive_files(archive):
            print(f"error: no WARC files to serve in {archive} (set --archive or ARCHIVE_DIR)", file=sys.stderr)
            self.exitcode = exitcodes.CONFIG
            return
        configured = self.settings.get("PYWB_WAYBACK") or ""
        wayback = wayback_command(configured)
        if wayback is None and configured:
            print(f"error: PYWB_WAYBACK {configured} is not a program that can be run", file=sys.stderr)
            self.exitcode = exitcodes.CONFIG
            return
        if wayback is None:
            print(
                "error: scrapy serve runs pywb, which is not installed: pip install 'news-archiver[replay]', "
                "or install pywb in an environment of its own and set PYWB_WAYBACK to its wayback program",
                file=sys.stderr,
            )
            self.exitcode = exitcodes.CONFIG
            return
        for index in ensure_indexes(archive):
            print(f"Indexed {index.name}")
        config = data_dir(self.settings) / "pywb" / "config.yaml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps(pywb_config(archive), indent=2) + "\n")  # JSON is YAML
        print(f"Serving {archive} at http://{opts.bind}:{opts.port}/{COLLECTION}/ (pywb config: {config})", flush=True)
        command = [*wayback, "--port", str(opts.port), "--bind", opts.bind]
        os.execve(command[0], command, {**os.environ, "PYWB_CONFIG_FILE": str(config.resolve())})
