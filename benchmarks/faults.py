"""Fault injection: one crawl of a site where most articles misbehave, and what became of each fault.

    python -m benchmarks.faults [--workdir DIR]

Serves a fixture site on 127.0.0.1 whose articles answer with injected faults
(rate limits, server errors, broken connections, timeouts, redirect loops,
gzip bombs, legacy charsets, binary bodies...), crawls it once, and prints a
table: fault, articles, requests the server answered, responses archived,
articles in the corpus against those expected, and data lost (answers the
crawler received but did not archive; expected 0 everywhere).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from benchmarks import hardening, runfaults
from sitefixture import FixtureServer, Resource, pages
from sitefixture.scrapyrun import crawl
from sitefixture.server import gzip_bomb
from sitefixture.text import paragraphs

MiB = 1 << 20
SETTINGS = {"DOWNLOAD_TIMEOUT": "2", "DOWNLOAD_MAXSIZE": str(8 * MiB), "EXTRACTION_PROCESSES": "2"}


def story(key: str) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs(key, on_topic=True, count=8))
    return f"<html><head><title>Story {key}</title></head><body><article><h1>Story {key}</h1>{body}</article></body></html>"


@dataclass
class Fault:
    """A kind of misbehaviour, how many articles show it, and whether they should reach the corpus."""

    name: str
    count: int
    build: Callable[[str, str], dict[str, Resource]]  # (article path, key) -> routes
    expected_in_corpus: bool
    timeouts: int = 0  # answers per article the crawler gives up on before they arrive


def _one(resource: Callable[[str], Resource]) -> Callable[[str, str], dict[str, Resource]]:
    return lambda path, key: {path: resource(key)}


def _chain(hops: int, loop: bool) -> Callable[[str, str], dict[str, Resource]]:
    def build(path: str, key: str) -> dict[str, Resource]:
        routes = {path: Resource(status=301, headers=[("Location", f"{path}/hop1")])}
        for hop in range(1, hops + 1):
            target = path if loop and hop == hops else f"{path}/hop{hop + 1}"
            routes[f"{path}/hop{hop}"] = Resource(status=302, headers=[("Location", target)])
        if not loop:
            routes[f"{path}/hop{hops + 1}"] = Resource(story(key).encode())
        return routes

    return build


def faults(bomb: bytes) -> list[Fault]:
    noise = random.Random(7).randbytes(30_000)
    return [
        Fault("none (control)", 4, _one(lambda k: Resource(story(k).encode())), True),
        Fault(
            "429 + Retry-After: 1, then 200",
            3,
            _one(
                lambda k: Resource(
                    story(k).encode(),
                    faults=[
                        Resource(
                            b"slow down",
                            status=429,
                            headers=[("Retry-After", "1")],
                            content_type="text/plain",
                        )
                    ],
                )
            ),
            True,
        ),
        Fault(
            "500, 503, then 200",
            3,
            _one(
                lambda k: Resource(
                    story(k).encode(),
                    faults=[Resource(b"oops", status=500), Resource(b"busy", status=503)],
                )
            ),
            True,
        ),
        Fault(
            "connection reset mid-body, then 200",
            3,
            _one(
                lambda k: Resource(
                    story(k).encode(), faults=[Resource(story(k).encode(), cut_at=400)]
                )
            ),
            True,
        ),
        Fault(
            "connection reset mid-body, always",
            2,
            _one(lambda k: Resource(story(k).encode(), cut_at=400)),
            False,
        ),
        Fault(
            "timeout, then 200",
            2,
            _one(
                lambda k: Resource(story(k).encode(), faults=[Resource(story(k).encode(), delay=3)])
            ),
            True,
            timeouts=1,
        ),
        Fault("redirect loop", 2, _chain(2, loop=True), False),
        Fault("redirect chain of 5 hops", 2, _chain(4, loop=False), True),
        Fault(
            f"gzip bomb ({len(bomb) // 1024} KiB -> 1 GiB)",
            1,
            _one(lambda k: Resource(bomb, headers=[("Content-Encoding", "gzip")])),
            False,
        ),
        Fault(
            "oversized page (12 MiB, cap 8 MiB)",
            1,
            _one(lambda k: Resource((story(k) * 4000).encode()[: 12 * MiB])),
            False,
        ),
        Fault(
            "windows-1252, declared in <meta> only",
            2,
            _one(
                lambda k: Resource(
                    story(k)
                    .replace("<head>", '<head><meta charset="windows-1252">')
                    .replace("</h1>", "</h1><p>“Gómez”</p>")
                    .encode("cp1252"),
                    content_type="text/html",
                )
            ),
            True,
        ),
        Fault(
            "iso-8859-1, undeclared",
            2,
            _one(
                lambda k: Resource(
                    story(k).replace("</h1>", "</h1><p>Moscú, Gómez</p>").encode("iso-8859-1"),
                    content_type="text/html",
                )
            ),
            True,
        ),
        Fault(
            "invalid UTF-8 bytes",
            1,
            _one(lambda k: Resource(story(k).encode() + b"\xff\xfe\xfa")),
            True,
        ),
        Fault("binary served as text/html", 2, _one(lambda k: Resource(noise)), False),
        Fault(
            "PDF",
            2,
            _one(lambda k: Resource(b"%PDF-1.7\n" + noise, content_type="application/pdf")),
            False,
        ),
    ]


def archived(warc_files: list[Path]) -> dict[str, int]:
    """Response and revisit records per target URL."""
    counts: dict[str, int] = {}
    for warc in warc_files:
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    url = record.rec_headers["WARC-Target-URI"]
                    counts[url] = counts.get(url, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir", type=Path, help="keep the crawl here (default: a temporary folder)"
    )
    args = parser.parse_args()
    kinds = faults(gzip_bomb(1024))
    with tempfile.TemporaryDirectory() as scratch, FixtureServer() as server:
        workdir = args.workdir or Path(scratch)
        groups: list[tuple[Fault, list[str]]] = []
        links = []
        for number, fault in enumerate(kinds):
            paths = [f"/news/2026/11/20/fault-{number}-{n}" for n in range(fault.count)]
            for n, path in enumerate(paths):
                server.routes.update(fault.build(path, f"{number}-{n}"))
                links.append((path, f"{fault.name} {n}"))
            groups.append((fault, paths))
        server.routes["/robots.txt"] = Resource(
            b"User-agent: *\nAllow: /\n", content_type="text/plain"
        )
        server.routes["/"] = Resource(pages.listing_html("Home", links).encode())
        sources = (
            f'[[source]]\nname = "faults"\nurl = "{server.url("/")}"\narticle_pattern = "/news/"\n'
        )
        started = time.perf_counter()
        result = crawl(workdir, sources, SETTINGS, timeout=1800)
        seconds = time.perf_counter() - started
        answered = server.paths()
        if result.returncode:
            raise SystemExit(f"crawl failed ({result.returncode}):\n{result.log[-3000:]}")
        # Read while the temporary folder still exists.
        records = archived(result.warc_files())
        corpus = {entry["url"] for entry in result.manifest()}
    print(f"one crawl, {len(answered)} requests, {seconds:.0f} s, exit code {result.returncode}\n")
    print("| fault injected | articles | answered | archived | in corpus / expected | data lost |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    total_lost = 0
    for fault, paths in groups:
        owned = [
            p for p in answered if any(p == path or p.startswith(path + "/") for path in paths)
        ]
        stored = sum(
            count
            for url, count in records.items()
            if any(url.endswith(path) or (path + "/") in url for path in paths)
        )
        in_corpus = sum(
            1 for url in corpus if any(url.endswith(path) or (path + "/") in url for path in paths)
        )
        expected = fault.count if fault.expected_in_corpus else 0
        lost = len(owned) - fault.timeouts * fault.count - stored
        total_lost += max(lost, 0)
        print(
            f"| {fault.name} | {fault.count} | {len(owned)} | {stored} | {in_corpus} / {expected} | {lost} |"
        )
    print(f"\ndata lost in total: {total_lost}; corpus: {len(corpus)} articles")
    print("\nAttacks of issue 19, one crawl each (python -m benchmarks.hardening):")
    hardening.report()
    print("\nFaults of the run itself, one crawl each (python -m benchmarks.runfaults):")
    runfaults.main()


if __name__ == "__main__":
    main()
