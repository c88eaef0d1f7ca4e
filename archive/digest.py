"""WARC digests: ``sha1:`` followed by the base32 SHA-1 of the bytes."""

from __future__ import annotations

import base64
import hashlib


def sha1_digest(data: bytes | memoryview) -> str:
    """Return the WARC digest string of ``data``."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")
