"""The corpus manifest ``index.jsonl``: one JSON entry per line, appended whole, read line by line."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MANIFEST = "index.jsonl"
_REQUIRED = {"id": int, "file": str, "canonical_url": str}
_NONE = type(None)
# The types the store writes the other fields in, for readers that use them (``typed``).
_TYPES: dict[str, tuple[type, ...]] = {
    "url": (str,),
    "source": (str,),
    "title": (str, _NONE),
    "language": (str, _NONE),
    "published": (str, _NONE),
    "fetched_at": (str,),
    "words": (int,),
    "version": (int,),
    "authors": (list,),
}
# JSON's names for what json.loads makes.
_JSON_KINDS = {
    str: "a string",
    int: "an integer",
    float: "a number with a fraction",
    bool: "true or false",
    list: "an array",
    dict: "an object",
    _NONE: "null",
}


class ManifestError(Exception):
    """A manifest line that is not an entry, before the last line: the user must repair it."""


def parse_entry(
    line: bytes, path: Path, number: int, *, store: bool = True, typed: bool = False
) -> dict[str, Any]:
    """The entry on line ``number`` of ``path``; :class:`ManifestError` naming both if it is none.

    ``store``: the entry must have what the store looks articles up by (``id``,
    ``file``, ``canonical_url``); otherwise any JSON object passes. ``typed``: that, and
    every other field the store writes has the type it writes it in.
    """
    entry = _parse_entry(line, path, number, store=store or typed)
    if typed:
        wrong = next(
            (
                field
                for field, kinds in _TYPES.items()
                if field in entry and type(entry[field]) not in kinds
            ),
            None,
        )
        if wrong is not None:
            wanted = " or ".join(_JSON_KINDS[kind] for kind in _TYPES[wrong])
            raise ManifestError(
                f"{path} line {number}: field {wrong!r} is {_JSON_KINDS[type(entry[wrong])]}, "
                f"not {wanted}"
            )
    return entry


def _parse_entry(line: bytes, path: Path, number: int, *, store: bool) -> dict[str, Any]:
    try:
        entry = json.loads(line.decode("utf-8"))
        if not store and type(entry) is dict:
            return entry
        if all(type(entry[field]) is kind for field, kind in _REQUIRED.items()):
            return entry
    except ValueError as error:
        raise ManifestError(f"{path} line {number}: not a JSON object ({error})") from None
    except (KeyError, TypeError):
        pass
    if not isinstance(entry, dict):
        raise ManifestError(f"{path} line {number}: not a JSON object")
    wrong = next(field for field, kind in _REQUIRED.items() if type(entry.get(field)) is not kind)
    raise ManifestError(
        f"{path} line {number}: field {wrong!r} missing or not a {_REQUIRED[wrong].__name__}"
    )


def entry_line(entry: dict[str, Any]) -> bytes:
    """The manifest line of ``entry``, newline included."""
    return (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def append_whole(fd: int, line: bytes, start: int) -> None:
    """Append ``line`` to the manifest open as ``fd`` at ``start`` bytes, all of it or nothing.

    ``os.write`` may write less than asked; the rest follows. If writing fails
    part way (a full disk), the file is cut back to ``start`` before the error goes on.
    """
    view = memoryview(line)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.ftruncate(fd, start)
        raise


def read_manifest(
    directory: str | os.PathLike[str], *, typed: bool = False
) -> Iterator[dict[str, Any]]:
    """Yield the manifest entries of a corpus; a torn last line is skipped with a warning.

    A line that is not an entry anywhere else raises :class:`ManifestError` with its number;
    with ``typed``, also an entry whose fields are missing or mistyped (see :func:`parse_entry`).
    """
    for entry, _, _ in read_manifest_lines(directory, typed=typed):
        yield entry


def read_manifest_lines(
    directory: str | os.PathLike[str], *, typed: bool = False
) -> Iterator[tuple[dict[str, Any], int, int]]:
    """Like :func:`read_manifest`, each entry with the offset and length of its line."""
    path = Path(directory) / MANIFEST
    if not path.exists():
        return
    try:
        stream = path.open("rb")
    except OSError as error:  # a folder in its place, no permission to read it
        raise ManifestError(f"{path}: cannot be read: {error.strerror or error}") from None
    with stream:
        number, offset, line = 0, 0, stream.readline()
        while line:
            number += 1
            following = stream.readline()
            try:
                complete = line.endswith(b"\n") or following
                entry = (
                    parse_entry(line, path, number, store=False, typed=typed) if complete else None
                )
            except ManifestError:
                if following:
                    raise
                entry = None
            if entry is None:
                logger.warning(
                    "%s line %d: skipped a torn last line (%d bytes)", path, number, len(line)
                )
            else:
                yield entry, offset, len(line)
            offset += len(line)
            line = following
