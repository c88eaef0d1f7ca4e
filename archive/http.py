"""Serialise HTTP messages as WARC ``application/http`` blocks."""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from urllib.parse import urlsplit

Headers = list[tuple[str, str]]

_DROPPED_ON_REWRITE = {"content-length"}


def reason_phrase(status: int) -> str:
    """Return the standard reason phrase for ``status`` (empty when unknown)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _header_lines(headers: Iterable[tuple[str, str]]) -> bytes:
    return b"".join(f"{name}: {value}\r\n".encode("latin-1", "replace") for name, value in headers)


def stored_response_headers(headers: Headers, body_length: int) -> Headers:
    """Return ``headers`` rewritten so they describe a de-chunked ``body_length`` body.

    ``Transfer-Encoding`` is kept as ``X-Orig-Transfer-Encoding`` because the body
    no longer carries chunk framing; ``Content-Length`` is set to the stored length.
    ``Content-Encoding`` stays: the body is stored still encoded.
    """
    rewritten: Headers = []
    for name, value in headers:
        lower = name.lower()
        if lower in _DROPPED_ON_REWRITE:
            continue
        if lower == "transfer-encoding":
            rewritten.append(("X-Orig-Transfer-Encoding", value))
            continue
        rewritten.append((name, value))
    rewritten.append(("Content-Length", str(body_length)))
    return rewritten


def response_head(
    status: int, headers: Headers, body_length: int, protocol: str = "HTTP/1.1"
) -> bytes:
    """Return the HTTP head of a response block whose payload is ``body_length`` bytes."""
    status_line = f"{protocol} {status} {reason_phrase(status)}".rstrip()
    return (
        status_line.encode("ascii")
        + b"\r\n"
        + _header_lines(stored_response_headers(headers, body_length))
        + b"\r\n"
    )


def request_block(
    method: str, url: str, headers: Headers, body: bytes = b"", protocol: str = "HTTP/1.1"
) -> bytes:
    """Return the request block: request line with path and query, ``Host`` first."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    own = [(name, value) for name, value in headers if name.lower() != "host"]
    lines = [("Host", parts.netloc)] + own
    if body and not any(name.lower() == "content-length" for name, _ in own):
        lines.append(("Content-Length", str(len(body))))
    head = f"{method} {target} {protocol}\r\n".encode("ascii", "replace")
    return head + _header_lines(lines) + b"\r\n" + body
