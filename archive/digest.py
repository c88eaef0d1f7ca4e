"""WARC digests: ``sha1:`` followed by the base32 SHA-1 of the bytes."""

from __future__ import annotations

import base64
import hashlib


def sha1_digest(*parts: bytes | memoryview) -> str:
    """Return the WARC digest string of ``parts`` one after the other."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")
