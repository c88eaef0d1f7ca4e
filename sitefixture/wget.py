"""Archive a fixture site with wget, a third-party WARC writer."""

from __future__ import annotations

import subprocess
from pathlib import Path


def wget_archive(url: str, folder: Path, name: str = "site") -> Path:
    """Crawl ``url`` three links deep with ``wget --warc-file``; return ``folder/NAME.warc.gz``.

    wget keeps chunked bodies with their ``Transfer-Encoding`` and writes each
    request record before its response, unlike our writer.
    """
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "wget",
            "--quiet",
            "--recursive",
            "--level=3",
            "--delete-after",
            "--no-host-directories",
            f"--directory-prefix={folder / 'files'}",
            f"--warc-file={folder / name}",
            "--no-warc-keep-log",
            url,
        ],
        check=False,
        timeout=120,  # wget exits non-zero for the fixture's 404s and 500s
    )
    warc = folder / f"{name}.warc.gz"
    if not warc.exists():
        raise RuntimeError(f"wget wrote no {warc}")
    return warc
