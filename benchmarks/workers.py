"""Where the extraction workers' CPU goes beyond extraction alone, measured without a crawl.

    python -m benchmarks.workers --pages ../shared/pages [--passes 3] [--first 20]
        [--lanes alone,corpus,forked,malloc:1048576]

Each lane is a pool of one worker process set up its own way. Every page goes to every
lane in turn, one call at a time, so the lanes share the machine's load page by page
(the other sessions on a shared machine move CPU times by tens of percent from minute to
minute); each lane's CPU time for the page is read from ``/proc`` around the call, so it
counts the pool's own work in the worker (unpickling the body, pickling the article).
Lanes:

- ``alone``: ``extract_article`` in a spawned process warmed on a tiny page, as the
  extraction limit of ``benchmarks.crawl`` runs it (there with the fingerprint);
- ``corpus``: the same process running ``extract_for_corpus`` (adds the fingerprint and
  the word count);
- ``forked``: ``extract_for_corpus`` in a worker of the crawl's pool
  (:func:`scraper.workerpool.worker_pool`: forked by the fork server that imported
  ``corpus.preload``), without the crawl's malloc setting;
- ``malloc:BYTES``: the same with glibc's mapping threshold at ``BYTES`` (the crawl's
  ``MALLOC_MMAP_THRESHOLD``, 1048576; 131072 before);
- ``trim:N``: glibc's ``malloc_trim`` after every ``N`` pages (``malloc:BYTES+trim:N``: both);
- ``import:MODULE``: the worker imports ``MODULE`` first (``import:scraper.fromarchive``
  loads what a replay's workers load: Scrapy).

It prints for each lane and pass the CPU milliseconds per page (user, system, from the
kernel's clock ticks; total from its nanosecond run time), the minor page faults per page,
the mean of the first ``--first`` pages of each pass (the first pass's against the others':
the warm-up a new worker pays),
and the most private memory (``smaps_rollup``) the worker held after every seventh page.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from benchmarks.peers import warm_ours
from benchmarks.sharedsite import load_pages
from corpus.options import ExtractionOptions

TICKS = os.sysconf("SC_CLK_TCK")
DEFAULT_LANES = "alone,corpus,forked,malloc:1048576"


def _alone(body: bytes, url: str, encoding: str | None, options: ExtractionOptions) -> bool:
    from corpus.extract import extract_article

    return extract_article(body, url, encoding, options) is not None


def _corpus(body: bytes, url: str, encoding: str | None, options: ExtractionOptions) -> object:
    from corpus.worker import extract_for_corpus

    return extract_for_corpus(body, url, encoding, options)


def _threshold(size: int) -> None:
    from scraper.extensions.malloc import set_mmap_threshold

    set_mmap_threshold(size)


_trim_every = 0
_calls = 0


def _import(module: str) -> None:
    importlib.import_module(module)


def _trim_after(every: int) -> None:
    global _trim_every
    _trim_every = every


def _trimmed(body: bytes, url: str, encoding: str | None, options: ExtractionOptions) -> object:
    """``extract_for_corpus``, then glibc's ``malloc_trim`` every ``_trim_every`` calls."""
    global _calls
    from corpus.worker import extract_for_corpus

    article = extract_for_corpus(body, url, encoding, options)
    _calls += 1
    if _calls % _trim_every == 0:
        ctypes.CDLL(None).malloc_trim(0)
    return article


def _private(pid: int) -> int:
    """Bytes of memory process ``pid`` holds on its own (private pages)."""
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1]) * 1024
    return total


def _usage(pid: int) -> tuple[int, int, int, int]:
    """Run nanoseconds, user and system ticks and minor faults of process ``pid``."""
    nanoseconds = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return nanoseconds, int(fields[11]), int(fields[12]), int(fields[7])


@dataclass
class Lane:
    """One worker process set up one way, and the CPU it spent on each page."""

    name: str
    pool: ProcessPoolExecutor
    function: Callable[..., object]
    pid: int = 0
    pages: list[tuple[int, int, int, int]] = field(default_factory=list)
    peak: int = 0  # bytes: the most private memory seen after a page

    def start(self) -> None:
        self.pid = self.pool.submit(os.getpid).result()

    def run(self, body: bytes, url: str, options: ExtractionOptions) -> None:
        before = _usage(self.pid)
        self.pool.submit(self.function, body, url, None, options).result()
        after = _usage(self.pid)
        self.pages.append(tuple(b - a for a, b in zip(before, after, strict=True)))  # type: ignore[arg-type]
        if len(self.pages) % 7 == 0:  # coprime with the trims tried
            self.peak = max(self.peak, _private(self.pid))


def make_lane(name: str) -> Lane:
    from corpus.worker import extract_for_corpus
    from scraper.workerpool import worker_pool

    if name in ("alone", "corpus"):
        pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=warm_ours)
        return Lane(name, pool, _alone if name == "alone" else _corpus)
    pool = worker_pool(1)
    function: Callable[..., object] = extract_for_corpus
    for part in name.split("+"):
        kind, _, value = part.partition(":")
        if kind == "malloc":
            pool.submit(_threshold, int(value)).result()
        elif kind == "trim":
            pool.submit(_trim_after, int(value)).result()
            function = _trimmed
        elif kind == "import":
            pool.submit(_import, value).result()
        elif kind != "forked":
            raise SystemExit(f"--lanes: unknown lane part {part!r}")
    return Lane(name, pool, function)


def summary(lane: Lane, count: int, first: int) -> list[str]:
    lines = []
    for number in range(len(lane.pages) // count):
        rows = lane.pages[number * count : (number + 1) * count]
        run, user, system, faults = (sum(column) for column in zip(*rows, strict=True))
        lines.append(
            f"{lane.name:16} {number + 1:4} {1000 * user / TICKS / count:8.1f} "
            f"{1000 * system / TICKS / count:7.1f} {run / 1e6 / count:8.1f} {faults / count:7.0f}"
            + f" {sum(r[0] for r in rows[:first]) / 1e6 / first:12.1f}"
            + (f" {lane.peak / 2**20:8.0f}" if number == 0 else "")
        )
    return lines


def _extract_all(folder: str) -> float:
    """CPU milliseconds per page of ``extract_for_corpus`` over every page, in this process."""
    from corpus.extract import DEFAULT_OPTIONS
    from corpus.worker import extract_for_corpus

    pages = [(page.html, page.url) for page in load_pages(Path(folder))]
    started = time.process_time()
    for body, url in pages:
        extract_for_corpus(body, url, None, DEFAULT_OPTIONS)
    return 1000 * (time.process_time() - started) / len(pages)


def crowding(folder: str, rounds: int) -> None:
    """Extraction's CPU per page with as many processes as cores, then with one more,
    alternating: what a third busy process (the crawl's) costs the workers on their own work."""
    cores = os.cpu_count() or 1
    with get_context("spawn").Pool(cores + 1, initializer=warm_ours) as pool:
        for _ in range(rounds):
            for processes in (cores, cores + 1):
                started = time.perf_counter()
                costs = pool.map(_extract_all, [folder] * processes, chunksize=1)
                print(
                    f"{processes} processes on {cores} cores: "
                    f"{sum(costs) / len(costs):.1f} CPU ms a page "
                    f"({', '.join(f'{c:.1f}' for c in costs)}), {time.perf_counter() - started:.0f} s",
                    flush=True,
                )


def main() -> None:
    from corpus.extract import DEFAULT_OPTIONS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", required=True, help="folder with pages.jsonl and *.html.gz")
    parser.add_argument("--passes", type=int, default=3, help="passes over the pages (default 3)")
    parser.add_argument(
        "--first", type=int, default=20, help="pages of each pass shown apart (default 20)"
    )
    parser.add_argument("--lanes", default=DEFAULT_LANES, help=f"default {DEFAULT_LANES}")
    parser.add_argument(
        "--crowding",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="instead: ROUNDS of one extraction process per core, then one more",
    )
    args = parser.parse_args()
    if args.crowding:
        crowding(str(Path(args.pages).resolve()), args.crowding)
        return
    pages = [(page.html, page.url) for page in load_pages(Path(args.pages))]
    # The crawl's fork server starts with no malloc setting of its own here: lanes set theirs.
    os.environ.pop("MALLOC_MMAP_THRESHOLD_", None)
    lanes = [make_lane(name) for name in args.lanes.split(",")]
    for lane in lanes:
        lane.start()
    try:
        for _ in range(args.passes):
            for body, url in pages:
                for lane in lanes:
                    lane.run(body, url, DEFAULT_OPTIONS)
    finally:
        for lane in lanes:
            # Workers of the crawl's pool ignore SIGTERM: kill them.
            for process in list((getattr(lane.pool, "_processes", None) or {}).values()):
                process.kill()
            lane.pool.shutdown(wait=False, cancel_futures=True)
    print("lane             pass  user ms  sys ms   CPU ms  faults  first pages ms  peak MiB")
    for lane in lanes:
        print("\n".join(summary(lane, len(pages), args.first)))


if __name__ == "__main__":
    main()
