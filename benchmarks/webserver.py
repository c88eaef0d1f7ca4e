"""Serve a fixture site from nginx (Debian's package) when it is installed, else from the Python fixture server."""

from __future__ import annotations

import dataclasses
import gzip
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sitefixture import FixtureServer
from sitefixture.server import Resource, free_port

Routes = dict[str, Resource]

NGINX_CONF = """worker_processes 2;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    default_type text/html;
    types {{ text/plain txt; application/xml xml; application/rss+xml rss; }}
    client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
    {gzip}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
"""


@dataclass
class ServedSite:
    """A site being served: its base URL, the server's name, and the paths it was asked for."""

    base_url: str
    server: str
    paths: Callable[[], list[str]]

    def requests(self) -> int:
        return len(self.paths())


_REQUEST_LINE = re.compile(rb'"[A-Z]+ (\S+) HTTP/')


def _file_for(root: Path, path: str) -> Path:
    if "?" in path:
        raise ValueError(f"nginx serves files: {path} has a query string")
    relative = path.lstrip("/")
    return root / (relative + "index.html" if not relative or relative.endswith("/") else relative)


def _let_nginx_workers_in(root: Path) -> None:
    """nginx's workers run as an unprivileged user: let them read ``root`` and pass through
    the folders above it that we own (a temporary folder is private to us)."""
    root.chmod(0o755)
    for folder in root.parents:
        mode = folder.stat().st_mode
        if folder.stat().st_uid == os.getuid() and not mode & 0o001:
            folder.chmod(mode | 0o011)


#: nginx sends the copy compressed beforehand, as a cache in front of a news site would,
#: costing the server no CPU while it is measured.
NGINX_GZIP = "gzip_static on; gzip_vary on;"


@contextmanager
def _nginx(
    binary: str, build: Callable[[str], Routes], workdir: Path, compressed: bool
) -> Iterator[ServedSite]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    root, state = workdir / "docroot", workdir / "nginx"
    state.mkdir(parents=True, exist_ok=True)
    for path, resource in build(base_url).items():
        target = _file_for(root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(resource.body)
        if compressed:
            target.with_name(target.name + ".gz").write_bytes(gzip.compress(resource.body, mtime=0))
    _let_nginx_workers_in(root)
    (state / "nginx.conf").write_text(
        NGINX_CONF.format(dir=state, port=port, root=root, gzip=NGINX_GZIP if compressed else "")
    )
    process = subprocess.Popen(
        [binary, "-c", str(state / "nginx.conf"), "-p", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(base_url + "/robots.txt", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(
                        f"nginx did not start: {(state / 'error.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        log = state / "access.log"
        offset = len(log.read_bytes().splitlines())

        def paths() -> list[str]:
            lines = log.read_bytes().splitlines()[offset:]
            return [found.group(1).decode() for found in map(_REQUEST_LINE.search, lines) if found]

        yield ServedSite(base_url, "nginx", paths)
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def serve(
    build: Callable[[str], Routes], workdir: Path, compressed: bool = False
) -> Iterator[ServedSite]:
    """Serve ``build(base_url)``; from nginx if Debian's package is installed. ``compressed``:
    every answer is gzip-compressed (``Content-Encoding: gzip``), as most news sites send them."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if binary:
        with _nginx(binary, build, workdir, compressed) as site:
            yield site
        return
    with FixtureServer() as server:
        routes = build(server.base_url)
        server.routes.update(
            {path: dataclasses.replace(r, gzip=True) for path, r in routes.items()}
            if compressed
            else routes
        )
        yield ServedSite(
            server.base_url, "Python fixture server (install nginx for a faster one)", server.paths
        )
