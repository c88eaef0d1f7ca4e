"""``scrapy serve``: browse the archive with pywb, as a collection named ``news``."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand

from archive.cdxj import INDEX_FOLDER, ensure_indexes
from archive.reader import archive_files
from scraper.paths import archive_dir, data_dir

COLLECTION = "news"
DEFAULT_PORT = 8080
EXIT_REFUSED = 1


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
        if importlib.util.find_spec("pywb") is None:
            print("error: scrapy serve runs pywb, which is not installed: pip install 'news-archiver[replay]'", file=sys.stderr)
            self.exitcode = EXIT_REFUSED
            return
        archive = Path(opts.archive) if opts.archive else archive_dir(self.settings)
        if not archive.is_dir() or not archive_files(archive):
            print(f"error: no WARC files to serve in {archive} (set --archive or ARCHIVE_DIR)", file=sys.stderr)
            self.exitcode = EXIT_REFUSED
            return
        for index in ensure_indexes(archive):
            print(f"Indexed {index.name}")
        config = data_dir(self.settings) / "pywb" / "config.yaml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps(pywb_config(archive), indent=2) + "\n")  # JSON is YAML
        print(f"Serving {archive} at http://{opts.bind}:{opts.port}/{COLLECTION}/ (pywb config: {config})", flush=True)
        command = [sys.executable, "-m", "pywb.apps.cli", "--port", str(opts.port), "--bind", opts.bind]
        os.execve(sys.executable, command, {**os.environ, "PYWB_CONFIG_FILE": str(config.resolve())})
