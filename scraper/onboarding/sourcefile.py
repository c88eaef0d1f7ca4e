"""Append a ``[[source]]`` block to the sources file, leaving what is there untouched.

The existing text is kept byte for byte (comments, order, layout) and the new
block, rendered by tomlkit, goes after it. The result is validated before it
replaces the file, so a refused addition leaves the file exactly as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomlkit

from scraper.sources import Source, SourcesError, parse_sources, site_key

NEW_FILE_HEADER = "# News sources of the archiver; see README.md for every field.\n"


def default_name(url: str) -> str:
    """A source name from the URL's host: ``https://www.el-pais.com/`` gives ``el-pais``."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    labels = host.split(".")
    if len(labels) > 1 and not host.replace(".", "").isdigit():
        labels = labels[:-1]
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(labels)).strip("-") or "source"


def check_new_source(existing: list[Source], name: str, url: str) -> None:
    """Refuse a name or a site (host, port and path; scheme and ``www.`` aside) already configured."""
    for source in existing:
        if source.site_key == site_key(url):
            raise SourcesError(f"{url} is already configured as source {source.name!r}")
    for source in existing:
        if source.name == name:
            raise SourcesError(
                f"a source named {name!r} already exists ({source.url}); choose another with --name"
            )


def render_source(fields: dict[str, Any]) -> str:
    """One ``[[source]]`` block; regexes as TOML literal strings, so backslashes stay readable."""
    table = tomlkit.table()
    for key, value in fields.items():
        if key == "article_pattern" and "'" not in value:
            value = tomlkit.string(value, literal=True)
        table.add(key, value)
    blocks = tomlkit.aot()
    blocks.append(table)
    document = tomlkit.document()
    document.append("source", blocks)
    return tomlkit.dumps(document)


def with_block(path: Path, block: str) -> str:
    """The text of the sources file at ``path`` (or of a new one) with ``block`` appended."""
    old = path.read_bytes().decode("utf-8") if path.exists() else NEW_FILE_HEADER
    separator = "" if not old or old.endswith("\n\n") else "\n" if old.endswith("\n") else "\n\n"
    return old + separator + block


def effective_source(path: Path, fields: dict[str, Any]) -> Source:
    """The source ``fields`` would be once appended to ``path``: its ``[defaults]`` filled in."""
    return parse_sources(with_block(path, render_source(fields)), path)[-1]


def append_source(path: Path, fields: dict[str, Any]) -> str:
    """Append ``fields`` as a source to ``path`` (created if missing); return the block added.

    Raises :class:`SourcesError` and leaves the file unchanged if the result does not validate.
    """
    block = render_source(fields)
    new = with_block(path, block)
    parse_sources(new, path)
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(new)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return block
