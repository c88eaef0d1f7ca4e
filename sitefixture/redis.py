"""A throwaway ``redis-server`` on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sitefixture.server import free_port


def redis_server_program() -> str | None:
    return shutil.which("redis-server")


def _answers_ping(port: int, password: str | None = None) -> bool:
    auth = f"AUTH {password}\r\n".encode() if password else b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(auth + b"PING\r\n")
            answer = b""
            while b"+PONG" not in answer and not answer.startswith(b"-"):
                chunk = connection.recv(64)
                if not chunk:
                    break
                answer += chunk
            return b"+PONG" in answer
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` on 127.0.0.1 that can be stopped and started again on its port.

    Without persistence, except that :meth:`stop` with ``save`` writes the data to
    ``workdir`` first, for :meth:`start` to load it.
    """

    def __init__(self, workdir: Path, password: str | None = None) -> None:
        program = redis_server_program()
        if program is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.program = program
        self.workdir = workdir
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.program, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not _answers_ping(self.port, self.password):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self, save: bool = False) -> None:
        """Shut the server down, its data saved for the next :meth:`start` if ``save``."""
        assert self.process is not None
        if save:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
                auth = f"AUTH {self.password}\r\n" if self.password else ""
                connection.sendall(f"{auth}SHUTDOWN SAVE\r\n".encode())
                connection.recv(64)
        else:
            self.process.terminate()
        self.process.wait(10)


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Run redis-server on 127.0.0.1 without persistence; yield its URL."""
    server = RedisServer(workdir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
