"""Crawl a folder of real pages served as a fixture site: speed, memory and quality against peers.

    python -m benchmarks.crawl --pages ../shared/pages [--copies 10] [--sizes 2000,10000] [--no-peers]
        [--no-limits] [--no-floor]
        [--set NAME=VALUE ...] [--profile N [--gil]] [--workdir DIR]

Serves (pages x copies) articles with homepage, sections, a feed and sitemaps
from nginx (Debian's package, when installed; else the Python fixture server),
and prints, all from the same run: our full crawl (discovery, fetch, WARC,
extraction, corpus; politeness delays off) with pages/s, CPU seconds, the CPU
milliseconds per article page of the crawl process, the fork server, the
extraction workers and any WARC packers, the cores its process tree kept busy in each tenth of
the run, and the peak memory of that tree (PSS: shared pages counted once); two limits over
the same pages read from disk, one process per core: plain
``trafilatura.extract(html, url=url)`` and our own
``extract_article`` (timed before and after the crawl, compared with their
mean); the peers on the same site (``trafilatura -i URLS --parallel N`` with
its sleep and SSRF protection off, and ``wget --recursive --warc-file``), and
the ratios. With one copy it also prints
articles found and the corpus' body F1. ``--sizes`` repeats our crawl at each
size (in article pages) and prints how time and peak memory grow. ``--profile N``
samples the crawl process with py-spy and prints its N top functions.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.metrics import aggregate, match
from benchmarks.peers import Limit, disk_limits, own_limit, trafilatura_cli, wget_archive
from benchmarks.proctree import Measured, measure
from benchmarks.pyspy import PySpy
from benchmarks.pyspy import report as pyspy_report
from benchmarks.sharedsite import (
    SharedPage,
    build_shared_site,
    load_pages,
    source_toml,
    with_copies,
)
from benchmarks.webserver import serve
from corpus.store import read_manifest
from sitefixture.scrapyrun import ROOT, scrapy_command, setting_assignment

MIN_WORDS = 40  # the default CORPUS_MIN_WORDS: shorter bodies are not expected in the corpus
MiB = 2**20


def crawl_measured(
    workdir: Path,
    sources: str,
    processes: str,
    extra: dict[str, str] | None = None,
    profiler: PySpy | None = None,
) -> Measured:
    """``scrapy crawl news`` into ``workdir/data``, politeness delays off, measured
    (and its crawl process profiled by ``profiler``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sources.toml").write_text(sources)
    settings = {
        "SOURCES_FILE": str(workdir / "sources.toml"),
        "DATA_DIR": str(workdir / "data"),
        "CONCURRENT_REQUESTS": "16",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "LOGSTATS_INTERVAL": "10",
        "ARTICLES_MAX_PER_RUN": "0",  # every page of the site, however many copies
    }
    if processes != "0":
        settings["EXTRACTION_PROCESSES"] = processes
    settings.update(extra or {})
    command, env = scrapy_command(["crawl", "news"], settings)
    result = measure(command, workdir, env, started_as=profiler.attach if profiler else None)
    if profiler is not None:
        profiler.wait()
    (workdir / "crawl.log").write_text(result.output)
    if result.returncode:
        raise SystemExit(
            f"crawl failed with exit code {result.returncode}:\n{result.output[-3000:]}"
        )
    return result


def bare_scrapy(
    base_url: str, pages: list[SharedPage], workdir: Path, log: str, *options: str
) -> Measured:
    """Run :mod:`benchmarks.barescrapy` with ``options`` over the article pages, its output kept
    in ``workdir/log``; stop the benchmark if it fails."""
    workdir.mkdir(parents=True, exist_ok=True)
    urls = workdir / "urls.txt"
    urls.write_text("\n".join(base_url + page.path for page in pages), encoding="utf-8")
    command = [sys.executable, "-m", "benchmarks.barescrapy", str(urls), "16", *options]
    bare = measure(command, workdir, {**os.environ, "PYTHONPATH": str(ROOT)})
    (workdir / log).write_text(bare.output)
    if bare.returncode:
        raise SystemExit(
            f"Scrapy alone {' '.join(options)} failed (exit code {bare.returncode}):\n"
            f"{bare.output[-3000:]}"
        )
    return bare


def bare_floor(base_url: str, pages: list[SharedPage], workdir: Path, ours: Measured) -> None:
    """Fetch the same article pages with Scrapy alone (:mod:`benchmarks.barescrapy`) and print
    its CPU per page beside our crawl process's."""
    bare = bare_scrapy(base_url, pages, workdir, "bare.log")
    main, others = (1000 * seconds / len(pages) for seconds in bare.crawl_threads)
    crawl_ms = 1000 * ours.cpu_parts["crawl"][1] / len(pages)
    print(
        f"Scrapy alone (its defaults, nothing of ours), the same pages: {rate(len(pages), bare.seconds)}"
        f"   CPU per page {1000 * bare.cpu_seconds / len(pages):.1f} ms (main thread {main:.1f},"
        f" other threads {others:.1f}); ours' crawl process is {crawl_ms:.1f} ms"
    )


def scrapy_ceiling(base_url: str, pages: list[SharedPage], workdir: Path, cores: int) -> float:
    """Fetch the same article pages with Scrapy alone handing each body to our extraction in
    one process per core (:mod:`benchmarks.barescrapy` ``--extract``); print and return its
    pages/s: what a crawl built on Scrapy reaches here with nothing else of ours."""
    bare = bare_scrapy(base_url, pages, workdir, "bare-extract.log", "--extract", str(cores))
    print(
        f"Scrapy alone with our extraction in {cores} processes, the same pages: "
        f"{rate(len(pages), bare.seconds)}   CPU per page {1000 * bare.cpu_seconds / len(pages):.1f} ms"
        f" (crawl process {1000 * bare.cpu_parts.get('crawl', (0, 0.0))[1] / len(pages):.1f})"
    )
    return len(pages) / bare.seconds


def machine_share(run: Measured, cores: int) -> str:
    """How the cores' time went while ``run`` ran: its tree, idle, and everything else (the
    web server, the benchmark's own measuring, the kernel's work for no one process)."""
    whole = run.seconds * cores
    idle = min(run.machine_idle_seconds, whole)
    tree = min(run.cpu_seconds, whole - idle)
    return (
        f"the crawl's tree {100 * tree / whole:.1f}%, idle {100 * idle / whole:.1f}%, "
        f"the rest {100 * (whole - tree - idle) / whole:.1f}% (the web server, this benchmark's "
        f"measuring, the kernel, any other process)"
    )


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:7.1f} pages/s"


def write_pages(pages: list[SharedPage], folder: Path, base_url: str) -> list[tuple[Path, str]]:
    """Write each page's HTML under ``folder`` at its path; return (file, URL on the site) pairs."""
    files = []
    for page in pages:
        path = folder / page.path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(page.html)
        files.append((path, base_url + page.path))
    return files


def ratio_parts(ours: Measured, pages: int, limit: Limit, cores: int) -> str:
    """Ours / our limit as the product of its three parts: how the extraction's CPU a page in
    the limit compares with our workers' in the crawl, the workers' share of the tree's CPU,
    and how busy the cores were in the crawl against in the limit."""
    workers = 1000 * ours.cpu_parts.get("extraction worker", (0, 0.0))[1] / pages
    tree = 1000 * ours.parts_cpu_seconds / pages
    if not workers or not limit.cpu_ms_per_page:
        return "ratio's parts: no CPU of extraction workers measured"
    busy = tree * pages / 1000 / (ours.seconds * cores)
    limit_busy = limit.busy(cores)
    product = limit.cpu_ms_per_page / tree * busy / limit_busy
    return (
        f"ratio's parts: ours / our limit {product:.2f} = extraction's CPU a page in the limit / "
        f"in our workers ({limit.cpu_ms_per_page:.1f} / {workers:.1f} ms: "
        f"{limit.cpu_ms_per_page / workers:.2f}) x the workers' share of the tree's CPU "
        f"({workers:.1f} / {tree:.1f} ms: {workers / tree:.2f}) x the cores busy in the crawl / "
        f"in the limit ({busy:.2f} / {limit_busy:.2f}: {busy / limit_busy:.2f})"
    )


def run_size(
    site_pages: list[SharedPage], copies: int, workdir: Path, args: argparse.Namespace
) -> tuple[int, Measured]:
    pages = with_copies(site_pages, copies)
    cores = os.cpu_count() or 1
    print(f"\n== {len(pages)} article pages ({len(site_pages)} x {copies}) ==")
    with serve(
        lambda base: build_shared_site(base, pages), workdir / "site", compressed=args.gzip
    ) as site:
        print(f"server: {site.server} at {site.base_url}" + (", gzip" if args.gzip else ""))
        files = write_pages(pages, workdir / "files", site.base_url)
        # The machine's speed drifts from minute to minute: our limit is timed on both sides
        # of the crawl, and the crawl compared with their mean.
        own_before = own_limit(files) if args.limits else None
        profiler = PySpy(workdir / "crawl-profile.txt", gil=args.gil) if args.profile else None
        ours = crawl_measured(
            workdir / "ours",
            source_toml(site.base_url, pages),
            args.processes,
            dict(args.set),
            profiler,
        )
        requests = site.requests()
        print(
            f"ours: full crawl, {requests} requests in {ours.seconds:.1f} s   {rate(len(pages), ours.seconds)}"
            f"   CPU {ours.cpu_seconds:.0f} s   peak PSS {ours.peak_rss / MiB:.0f} MiB"
        )
        print(f"ours: peak PSS by process: {ours.peak_breakdown()}")
        if profiler is not None:
            pyspy_report(profiler.output, args.profile)
        tree_ms = 1000 * ours.parts_cpu_seconds / len(pages)
        print(f"ours: CPU per article page: {ours.cpu_per(len(pages))}; tree {tree_ms:.1f} ms")
        main, others = (1000 * seconds / len(pages) for seconds in ours.crawl_threads)
        system, faults = ours.root_system
        print(
            f"ours: of the crawl process: main thread {main:.1f} ms, other threads {others:.1f} ms; "
            f"system time {1000 * system / len(pages):.1f} ms, "
            f"{faults / len(pages):.0f} page faults a page"
        )
        idle = 1 - ours.cpu_seconds / (ours.seconds * cores)
        print(
            f"ours: cores busy in each tenth of the run (of {cores}): "
            + " ".join(f"{busy:.2f}" for busy in ours.cores_busy())
            + f"; idle {100 * idle:.0f}% of the cores' time"
        )
        print(
            f"measuring it took {1000 * ours.sampler_seconds / len(pages):.1f} ms of CPU a page, "
            f"{100 * ours.sampler_seconds / (ours.seconds * cores):.1f}% of the cores' time"
        )
        print(f"the cores' time during the crawl: {machine_share(ours, cores)}")
        ceiling = 0.0
        if args.floor:
            bare_floor(site.base_url, pages, workdir / "bare", ours)
            if args.limits:
                ceiling = scrapy_ceiling(site.base_url, pages, workdir / "bare", cores)
        if args.peers:
            cli = trafilatura_cli(
                [site.base_url + page.path for page in pages], workdir / "trafilatura", cores
            )
            print(
                f"trafilatura -i URLS --parallel {cores}: {cli.seconds:.1f} s   {rate(len(pages), cli.seconds)}"
                f"   CPU {cli.cpu_seconds:.0f} s   peak PSS {cli.peak_rss / MiB:.0f} MiB"
            )
            before = site.requests()
            fetched = wget_archive(site.base_url, workdir / "wget")
            wget_requests = site.requests() - before
            print(
                f"wget --recursive --warc-file: {wget_requests} requests in {fetched.seconds:.1f} s"
                f"   {wget_requests / fetched.seconds:7.1f} requests/s (no extraction)"
            )
    if not args.limits:
        return len(pages), ours
    plain, own_after = disk_limits(files, cores)
    assert own_before is not None
    own = Limit.mean(own_before, own_after)
    print(
        f"limit: plain trafilatura.extract(html, url=url), {cores} processes, from disk  "
        f"{plain.pages_per_second:7.1f} pages/s   CPU {plain.cpu_ms_per_page:.1f} ms a page"
    )
    print(
        f"limit: our extract_article (+ fingerprint), {cores} processes, from disk  "
        f"{own.pages_per_second:7.1f} pages/s (before the crawl {own_before.pages_per_second:.1f}, "
        f"after {own_after.pages_per_second:.1f})   CPU {own.cpu_ms_per_page:.1f} ms a page"
    )
    ours_rate = len(pages) / ours.seconds
    print(
        f"ratios: ours / our limit {ours_rate / own.pages_per_second:.2f}, "
        f"ours / plain limit {ours_rate / plain.pages_per_second:.2f}",
        end="",
    )
    print(
        f", ours / trafilatura CLI {ours_rate / (len(pages) / cli.seconds):.2f}"
        if args.peers
        else ""
    )
    print(ratio_parts(ours, len(pages), own, cores))
    if ceiling:
        print(
            f"ceiling: Scrapy alone with our extraction / our limit {ceiling / own.pages_per_second:.2f};"
            f" ours / that {ours_rate / ceiling:.2f}"
        )
    if copies == 1:
        manifest = {
            urlsplit(entry["url"]).path: entry
            for entry in read_manifest(workdir / "ours" / "data" / "corpus")
        }
        report(
            site_pages,
            manifest,
            workdir / "ours" / "data" / "corpus",
            requests,
            ours.seconds,
            ours.output,
        )
    return len(pages), ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=Path, required=True, help="folder with pages.jsonl and *.html.gz"
    )
    parser.add_argument(
        "--copies", type=int, default=1, help="serve every page this many times (default 1)"
    )
    parser.add_argument(
        "--sizes",
        help="comma-separated sizes in article pages, e.g. 2000,10000 (overrides --copies)",
    )
    parser.add_argument(
        "--no-peers", dest="peers", action="store_false", help="skip trafilatura's CLI and wget"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep everything here (default: a temporary folder)"
    )
    parser.add_argument(
        "--no-limits",
        dest="limits",
        action="store_false",
        help="skip the two extraction limits from disk (and the ratios)",
    )
    parser.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="skip fetching the same pages with Scrapy alone (benchmarks.barescrapy)",
    )
    parser.add_argument("--processes", default="0", help="EXTRACTION_PROCESSES (0: one per core)")
    parser.add_argument(
        "--gzip",
        action="store_true",
        help="the server sends every page gzip-compressed, as most news sites do",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for our crawl, as scrapy's -s (repeatable), e.g. WARC_GZIP_ENGINE=zlib",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile the crawl process with py-spy and print its N top functions",
    )
    parser.add_argument(
        "--gil",
        action="store_true",
        help="with --profile: sample only the thread holding the GIL (py-spy --gil)",
    )
    args = parser.parse_args()
    try:
        args.set = [setting_assignment(text) for text in args.set]
    except ValueError as error:
        parser.error(f"--set: {error}")

    site_pages = load_pages(args.pages)
    all_copies = (
        [math.ceil(int(size) / len(site_pages)) for size in args.sizes.split(",")]
        if args.sizes
        else [args.copies]
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = args.workdir or Path(scratch)
        runs = [
            run_size(site_pages, copies, root / f"copies-{copies}", args) for copies in all_copies
        ]
    if len(runs) > 1:
        print("\n   pages   seconds   pages/s   peak PSS")
        for count, measured in runs:
            print(
                f"{count:8} {measured.seconds:9.1f} {count / measured.seconds:9.1f} {measured.peak_rss / MiB:8.0f} MiB"
            )
        first, last = runs[0][1], runs[-1][1]
        print(
            f"from {runs[0][0]} to {runs[-1][0]} pages: time x{last.seconds / first.seconds:.2f}, "
            f"peak PSS {100 * (last.peak_rss / first.peak_rss - 1):+.0f}%"
        )


def report(
    site_pages: list[SharedPage],
    manifest: dict[str, dict[str, Any]],
    corpus: Path,
    requests: int,
    elapsed: float,
    log: str,
) -> None:
    expected = [p for p in site_pages if len(p.body.split()) >= MIN_WORDS]
    found = [p for p in expected if p.path in manifest]
    extra = [p for p in site_pages if p.path in manifest and p not in expected]
    matches = []
    for page in site_pages:
        entry = manifest.get(page.path)
        text = (corpus / entry["file"]).read_text(encoding="utf-8") if entry else ""
        body = text.split("\n", 1)[1] if "\n" in text else ""
        matches.append(match(page.body, body))
    scores = aggregate(matches)
    peak = re.search(r"'memusage/max': (\d+)", log)
    print(f"pages served        {len(site_pages)}")
    print(f"articles expected   {len(expected)} (bodies of {MIN_WORDS}+ words)")
    print(
        f"articles found      {len(found)} of expected, {len(extra)} more, {len(manifest)} in corpus"
    )
    missing = [p.path for p in expected if p.path not in manifest]
    copies = {
        urlsplit(url).path: entry["url"]
        for entry in manifest.values()
        for url in entry.get("duplicates", [])
    }
    for path in missing[:10]:
        kept = f" (a copy of {urlsplit(copies[path]).path})" if path in copies else ""
        print(f"  missing           {path}{kept}")
    print(
        f"body F1             {scores.f1:.3f} (precision {scores.precision:.3f}, recall {scores.recall:.3f}) over all pages"
    )
    print(f"requests            {requests} in {elapsed:.1f} s: {requests / elapsed:.1f} pages/s")
    if peak:
        print(f"peak RSS (crawler)  {int(peak.group(1)) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
