"""The crawl's worker processes: forked by a fork server that loaded the libraries once."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from corpus.lifeline import bind_worker

#: What the workers are called in ``ps`` and ``top`` (``/proc/PID/comm``), by what they do.
EXTRACTION = "news-extract"
WARC_PACKING = "news-warc-pack"


def worker_pool(processes: int, name: str = EXTRACTION) -> ProcessPoolExecutor:
    """A pool of ``processes`` workers called ``name``, as the crawl runs them."""
    # Workers come from a fork server that has loaded the extraction libraries and
    # the language model once: they share those pages instead of a copy each.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["corpus.preload"])
    return ProcessPoolExecutor(
        processes, mp_context=context, initializer=partial(bind_worker, name)
    )


def discard(broken: ProcessPoolExecutor) -> None:
    """Shut down a pool one of whose workers died, and kill the others."""
    # The broken pool's manager thread stops its workers with SIGTERM, which they ignore,
    # then joins them: one left waiting on a queue lock the dead worker held would hang
    # that join, and the crawl's exit with it. SIGKILL is what they cannot ignore.
    survivors = list((getattr(broken, "_processes", None) or {}).values())
    broken.shutdown(wait=False, cancel_futures=True)
    for process in survivors:
        process.kill()
