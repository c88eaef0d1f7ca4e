"""The extraction pool's workers start from the fork server's loaded, frozen libraries."""

from __future__ import annotations

import gc

from scraper.workerpool import worker_pool


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
