"""A threaded HTTP/1.1 server for fixture sites, with a request log."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def gzip_bomb(inflated_mib: int) -> bytes:
    """A gzip body of about 1/1000 of ``inflated_mib`` MiB that inflates to that many MiB of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join(compressor.compress(zeros) for _ in range(inflated_mib)) + compressor.flush()


@dataclass
class Resource:
    """One URL of a fixture site and how to serve it."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    gzip: bool = False
    chunked: bool = False
    conditional: bool = True
    faults: list[Resource] = field(default_factory=list)  # served first, one per request
    cut_at: int | None = None  # close the connection after this many body bytes
    delay: float = 0.0  # seconds to wait before answering

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class LoggedRequest:
    """A request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() when it arrived


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        fixture = self.server.fixture
        fixture._log(LoggedRequest("GET", self.path, dict(self.headers.items()), time.monotonic()))
        try:
            self._answer(fixture)
        finally:
            fixture._answered()

    def _answer(self, fixture: FixtureServer) -> None:
        if not fixture.opened.wait(fixture.GATE_TIMEOUT):
            raise TimeoutError(f"{self.path}: the server's gate stayed shut")
        if fixture.delay:
            time.sleep(fixture.delay)
        resource = fixture.routes.get(self.path) or fixture.routes.get(urlsplit(self.path).path)
        if resource is None:
            resource = Resource(b"<html><body><h1>Not found</h1></body></html>", status=404)
        if resource.faults:
            resource = resource.faults.pop(0)
        if resource.delay:
            time.sleep(resource.delay)
        if (
            resource.conditional
            and resource.status == 200
            and self.headers.get("If-None-Match") == resource.etag
        ):
            self.send_response(304)
            self.send_header("ETag", resource.etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = gzip.compress(resource.body, mtime=0) if resource.gzip else resource.body
        self.send_response(resource.status)
        self.send_header("Content-Type", resource.content_type)
        if resource.conditional and resource.status == 200:
            self.send_header("ETag", resource.etag)
        for name, value in resource.headers:
            self.send_header(name, value)
        if resource.gzip:
            self.send_header("Content-Encoding", "gzip")
        if resource.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 1000):
                piece = body[start : start + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body if resource.cut_at is None else body[: resource.cut_at])
        if resource.cut_at is not None:
            self.wfile.flush()
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fixture: FixtureServer


class FixtureServer:
    """Serve ``routes`` (path or path?query -> Resource) on 127.0.0.1, logging requests.

    Use as a context manager; ``url(path)`` builds absolute URLs.
    """

    GATE_TIMEOUT = 120.0  # seconds a request waits for a shut gate before it fails

    def __init__(
        self, routes: dict[str, Resource] | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.routes: dict[str, Resource] = dict(routes or {})
        self.delay = 0.0  # seconds to wait before answering each request
        #: Requests are answered only while this is set (it is, from the start): clear it to
        #: hold every answer until a test has made ready what it waits for.
        self.opened = threading.Event()
        self.opened.set()
        self.requests: list[LoggedRequest] = []
        self.in_flight = 0  # requests being answered right now
        self.peak_in_flight = 0  # the most answered at once
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fixture = self
        bound, self.port = self._httpd.server_address[:2]
        self.host = bound if isinstance(bound, str) else bound.decode()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def _log(self, request: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def _answered(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def paths(self) -> list[str]:
        """Return the requested paths, in order."""
        with self._lock:
            return [request.path for request in self.requests]

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
