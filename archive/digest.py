"""WARC digests: ``sha1:`` followed by the base32 SHA-1 of the bytes."""

from __future__ import annotations

import base64
import hashlib
from typing import BinaryIO

_CHUNK = 1 << 20


def sha1_digest(*parts: bytes | memoryview) -> str:
    """Return the WARC digest string of ``parts`` one after the other."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def streamed_sha1_digest(stream: BinaryIO) -> str:
    """Return the WARC digest string of what is left to read of ``stream``, read a MiB at a time."""
    digest = hashlib.sha1()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")
