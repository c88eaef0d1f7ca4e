"""``scrapy wacz OUT.wacz``: package the archive, with the corpus's articles as its pages."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from archive.members import damaged_spans
from archive.reader import archive_files
from archive.wacz import Page, UnsortedIndex, write_wacz
from archive.writer import repair_torn_tail
from corpus.manifest import ManifestError, read_manifest_lines
from corpus.store import MANIFEST, is_corpus_file_name
from scraper import exitcodes
from scraper.commandline import CheckedCommand, CommandFailed, reports_failure
from scraper.paths import archive_dir, corpus_dir

DEFAULT_TITLE = "News archive"


def corpus_pages(corpus: Path) -> Iterator[Page]:
    """One page per corpus file, in manifest order: its article's URL, capture time, title and text.

    The manifest is read (and :class:`ManifestError` raised) before the first page is
    asked for. The latest entry of each file is found through a temporary on-disk
    SQLite table, so memory does not grow with the corpus. Manifest entries naming
    anything but a corpus file are passed over.
    """
    db = sqlite3.connect("")  # "": a private temporary file, deleted on close
    try:
        db.execute(
            "CREATE TABLE latest (file TEXT PRIMARY KEY, line INTEGER NOT NULL,"
            " offset INTEGER NOT NULL, length INTEGER NOT NULL)"
        )
        db.executemany(  # an updated article's later entry wins, in its first entry's place
            "INSERT INTO latest VALUES (?, ?, ?, ?) ON CONFLICT (file)"
            " DO UPDATE SET offset = excluded.offset, length = excluded.length",
            (
                (entry["file"], number, offset, length)
                for number, (entry, offset, length) in enumerate(read_manifest_lines(corpus))
                if is_corpus_file_name(entry.get("file") or "")
            ),
        )
    except BaseException:
        db.close()
        raise
    return _pages_of(corpus, db)


def _pages_of(corpus: Path, db: sqlite3.Connection) -> Iterator[Page]:
    with closing(db), (corpus / MANIFEST).open("rb") as manifest:
        for offset, length in db.execute("SELECT offset, length FROM latest ORDER BY line"):
            manifest.seek(offset)
            entry = json.loads(manifest.read(length))
            path = corpus / entry["file"]
            if path.exists():
                yield Page(
                    entry["url"],
                    entry["fetched_at"],
                    entry.get("title") or "",
                    path.read_text(encoding="utf-8"),
                )


def damage_refusal(warcs: list[Path]) -> str | None:
    """Cut torn tails off ``warcs`` (with a warning); say why a file damaged in its middle cannot be packaged.

    A WACZ file with a damaged WARC file fails validation; a torn tail holds nothing
    whole, so it is cut as a crawl's start-up repair would.
    """
    for warc in warcs:
        if not warc.name.endswith(".gz"):
            continue
        spans = damaged_spans(warc)
        size = warc.stat().st_size
        # A span from the start to the end: no record at all, no torn tail to cut.
        inside = [f"{start}-{end}" for start, end in spans if end < size or start == 0]
        if inside:
            return (
                f"{warc}: bytes {', '.join(inside)} hold no WARC record; a WACZ file with it would fail "
                "validation (move the file out of the archive folder to package the rest)"
            )
        if spans:
            cut = repair_torn_tail(warc)
            print(f"warning: {warc}: cut a torn record of {cut} bytes off its end", file=sys.stderr)
    return None


class Counted:
    """An iterable of pages that counts those taken from it."""

    def __init__(self, pages: Iterable[Page]) -> None:
        self.pages = pages
        self.count = 0

    def __iter__(self) -> Iterator[Page]:
        for page in self.pages:
            self.count += 1
            yield page


def _software() -> str:
    try:
        return f"news-archiver {version('news-archiver')}"
    except PackageNotFoundError:
        return "news-archiver"


class Command(CheckedCommand, ScrapyCommand):
    """Write every finished WARC file, one CDXJ index and the corpus's pages into a WACZ file."""

    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "OUT.wacz [--archive DIR] [--corpus DIR] [--title TEXT]"

    def short_desc(self) -> str:
        return "Package the archive as a WACZ file for ReplayWeb.page, articles searchable"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--archive", help="WARC files to package (default ARCHIVE_DIR)")
        parser.add_argument(
            "--corpus", help="corpus whose articles become the pages (default CORPUS_DIR)"
        )
        parser.add_argument(
            "--title", default=DEFAULT_TITLE, help=f"collection title (default {DEFAULT_TITLE!r})"
        )

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) != 1 or not args[0].endswith(".wacz"):
            raise UsageError("give one output file ending in .wacz")
        archive = Path(opts.archive) if opts.archive else archive_dir(self.settings)
        corpus = Path(opts.corpus) if opts.corpus else corpus_dir(self.settings)
        warcs = archive_files(archive) if archive.is_dir() else []
        if not warcs:
            raise CommandFailed(
                f"no WARC files to package in {archive} (set --archive or ARCHIVE_DIR)"
            )
        refused = damage_refusal(warcs)
        if refused:
            raise CommandFailed(refused)
        if not (corpus / MANIFEST).exists():
            print(
                f"warning: no corpus at {corpus}: the WACZ file will list no pages (set --corpus)",
                file=sys.stderr,
            )
        try:
            pages = Counted(corpus_pages(corpus))
        except ManifestError as problem:
            raise CommandFailed(str(problem)) from None
        try:
            package = write_wacz(args[0], warcs, pages, title=opts.title, software=_software())
        except UnsortedIndex as problem:
            raise CommandFailed(str(problem)) from problem
        except OSError as error:
            raise CommandFailed(
                f"{args[0]} not written: {error.strerror or error}"
                + (f" ({error.filename})" if error.filename else ""),
                exitcodes.IO_ERROR,
            ) from None
        size = Path(args[0]).stat().st_size
        print(
            f"Wrote {args[0]}: {len(warcs)} WARC file(s), {pages.count} page(s), {size:,} bytes, WACZ {package['wacz_version']}"
        )
