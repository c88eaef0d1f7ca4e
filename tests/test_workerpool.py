"""The extraction pool's workers start from the fork server's loaded, frozen libraries, and
take their tasks through enlarged pipes."""

from __future__ import annotations

import fcntl
import gc
import os
from pathlib import Path

from scraper.workerpool import PIPE_BYTES, worker_pool


def test_workers_inherit_the_fork_servers_frozen_objects() -> None:
    pool = worker_pool(1)
    try:
        frozen = pool.submit(gc.get_freeze_count).result(timeout=120)
        collecting = pool.submit(gc.isenabled).result(timeout=120)
    finally:
        pool.shutdown()
    # the extraction libraries and the language model, frozen before the fork
    assert frozen > 10_000
    assert collecting  # frozen objects aside, a worker still collects its garbage


def test_tasks_and_results_go_through_enlarged_pipes() -> None:
    pool = worker_pool(1)
    try:
        pipes = [pool._call_queue._writer, pool._result_queue._reader]  # type: ignore[attr-defined]
        sizes = {fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ) for pipe in pipes}
        page = bytes(range(256)) * 4000  # a 1 MB page goes down and comes back whole
        assert pool.submit(bytes, page).result(timeout=120) == page
    finally:
        pool.shutdown()
    allowed = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    assert sizes == {PIPE_BYTES if allowed >= PIPE_BYTES or os.geteuid() == 0 else 65536}
