"""Checks made before anything is read back from an archive: it is there, the output is new."""

from __future__ import annotations

from pathlib import Path

from archive.reader import scan_archive
from corpus.store import MANIFEST


def refusal(archive: Path, corpus: Path, reader: str, how_to_change: str) -> str | None:
    """Why ``reader`` cannot read ``archive`` into a new corpus at ``corpus``, or ``None``.

    ``how_to_change`` tells the user how to point at another corpus directory.
    """
    missing = archive_refusal(archive)
    if missing:
        return missing
    if (corpus / MANIFEST).exists():
        return f"{corpus} already holds a corpus; {reader} writes a new one: {how_to_change} or remove it"
    return None


def archive_refusal(archive: Path) -> str | None:
    """Why ``archive`` cannot be read back (missing, no finished WARC file), or ``None``."""
    if not archive.is_dir():
        return f"no archive at {archive}"
    files, left_out = scan_archive(archive)  # the reader logs what it leaves out
    if not files:
        why = "".join(f"; {problem}" for problem in left_out)
        return f"{archive} holds no finished WARC file (*.warc.gz, *.warc){why}"
    return None
