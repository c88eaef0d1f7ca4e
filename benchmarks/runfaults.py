"""Faults of the run itself, one crawl (or file) each: a full disk, a dying worker, stop signals, a
``kill -9``, a damaged WARC file and broken inputs. Part of ``python -m benchmarks.faults``.

Each row says what the crawl archived (response records readable from the WARC files), wrote
(corpus articles against those expected), lost (see each case's note), its exit code, and what
it said (the first error line, or a traceback).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from sitefixture import FixtureServer, Resource, pages
from sitefixture.news import build_news_site
from sitefixture.scrapyrun import CrawlResult, crawl, start_scrapy

SETTINGS = {"EXTRACTION_PROCESSES": "2"}
SLOW = {**SETTINGS, "CONCURRENT_REQUESTS": "2"}


@dataclass
class Row:
    case: str
    exit_code: int | str
    archived: int | str
    written: str
    lost: int | str
    said: str


def _said(log: str) -> str:
    if "Traceback" in log:
        return (
            "a traceback: "
            + next((line for line in reversed(log.splitlines()) if "Error" in line), "")[:80]
        )
    lines = [line for line in log.splitlines() if "ERROR" in line or line.startswith("error:")]
    lines = lines or [
        line for line in log.splitlines() if "WARNING" in line and "[scrapy." not in line
    ]
    return (lines[0].split("ERROR: ")[-1].split("WARNING: ")[-1] if lines else "-")[:110]


def _readable(archive: Path) -> int:
    """Response records readable, whole, from the finished WARC files."""
    from archive.reader import iter_whole_records

    return sum(
        1
        for warc in sorted(archive.glob("*.warc.gz"))
        for record, _, _, _ in iter_whole_records(warc)
        if record.rec_type == "response"
    )


def _dangling(data: Path) -> int:
    """Places the state and the manifest point at that do not hold a whole record."""
    places = []
    if (data / "state.sqlite").exists():
        db = sqlite3.connect(data / "state.sqlite")
        places += db.execute(
            "SELECT warc_filename, warc_offset, warc_length FROM urls WHERE warc_filename IS NOT NULL"
        )
        db.close()
    manifest = data / "corpus" / "index.jsonl"
    if manifest.exists():
        for line in manifest.read_text().splitlines():
            warc = json.loads(line)["warc"]
            places.append((warc["filename"], warc["offset"], warc["length"]))
    bad = 0
    for name, offset, length in places:
        path = data / "archive" / name
        try:
            with path.open("rb") as stream:
                stream.seek(offset)
                ok = gzip.decompress(stream.read(length)).startswith(b"WARC/")
        except (OSError, EOFError, gzip.BadGzipFile):
            ok = False
        bad += not ok
    return bad


def _session(pid: int) -> dict[int, str]:
    from sitefixture.processes import in_session

    return in_session(pid)


class Site:
    """The fixture news site, served slowly enough to act on a crawl while it runs."""

    def __init__(self) -> None:
        self.server = FixtureServer()
        self.offsite = FixtureServer(host="127.0.0.2")

    def __enter__(self) -> Self:
        self.server.__enter__()
        self.offsite.__enter__()
        self.site = build_news_site(self.server.base_url, self.offsite.base_url)
        self.server.routes.update(self.site.routes)
        return self

    def __exit__(self, *exc: object) -> None:
        self.offsite.__exit__(*exc)
        self.server.__exit__(*exc)

    @property
    def sources(self) -> str:
        return self.site.source_toml(self.server.base_url)

    @property
    def expected(self) -> int:
        return len(self.site.corpus_paths)

    def start(self, workdir: Path, settings: dict[str, str]) -> subprocess.Popen[str]:
        self.server.delay = 0.15
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "sources.toml").write_text(self.sources)
        return start_scrapy(
            ["crawl", "news"],
            workdir,
            {
                **settings,
                "SOURCES_FILE": str(workdir / "sources.toml"),
                "DATA_DIR": str(workdir / "data"),
            },
        )


def _wait_for_pool(process: subprocess.Popen[str]) -> list[int]:
    from sitefixture.processes import wait_for_pool

    return wait_for_pool(process)


def _left(pid: int, seconds: float) -> dict[int, str]:
    deadline = time.monotonic() + seconds
    while (left := _session(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def full_disk(workdir: Path, extra: dict[str, str], name: str) -> Row:
    """Once the pool runs, no file may grow 8 KB past the largest (RLIMIT_FSIZE: EFBIG, as a full disk)."""
    with Site() as site:
        process = site.start(workdir, {**SLOW, **extra})
        _wait_for_pool(process)
        data = workdir / "data"
        largest = max(path.stat().st_size for path in data.rglob("*") if path.is_file())
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (largest + 8000, largest + 8000))
        log, _ = process.communicate(timeout=300)
        archived, dangling = _readable(data / "archive"), _dangling(data)
        written = len(CrawlResult(0, "", data).manifest())
        again = crawl(workdir, site.sources, SETTINGS)
        complete = len({entry["canonical_url"] for entry in again.manifest()})
    return Row(
        name,
        process.returncode,
        archived,
        f"{written} / {site.expected} (next run {complete})",
        dangling,
        _said(log),
    )


def worker_killed(workdir: Path) -> Row:
    with Site() as site:
        process = site.start(workdir, SLOW)
        workers = _wait_for_pool(process)
        if workers:
            os.kill(workers[0], signal.SIGKILL)
        log, _ = process.communicate(timeout=300)
        result = CrawlResult(process.returncode, log, workdir / "data")
        written = len({entry["canonical_url"] for entry in result.manifest()})
    return Row(
        "an extraction worker SIGKILLed mid-crawl",
        process.returncode,
        _readable(result.archive),
        f"{written} / {site.expected}",
        site.expected - written,
        _said(log),
    )


def stopped(workdir: Path, stop: signal.Signals) -> Row:
    with Site() as site:
        process = site.start(workdir, SLOW)
        _wait_for_pool(process)
        time.sleep(0.3)
        os.killpg(process.pid, stop)
        log, _ = process.communicate(timeout=300)
        left = _left(process.pid, 5)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        result = CrawlResult(process.returncode, log, workdir / "data")
        written = len(result.manifest())
        again = crawl(workdir, site.sources, SETTINGS)
        complete = len({entry["canonical_url"] for entry in again.manifest()})
    return Row(
        f"{stop.name} to the process group mid-crawl",
        process.returncode,
        _readable(result.archive),
        f"{written} / {site.expected} (next run {complete})",
        f"{len(left)} procs left",
        _said(log),
    )


def killed(workdir: Path) -> Row:
    with Site() as site:
        process = site.start(workdir, SLOW)
        _wait_for_pool(process)
        process.kill()
        process.wait(timeout=60)  # not its output: helpers left behind would hold the pipe open
        left = _left(process.pid, 5)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert process.stdout is not None
        process.stdout.close()
    return Row("kill -9 of the crawl", "-9", "-", "-", f"{len(left)} procs left after 5 s", "-")


def damaged_warc(workdir: Path) -> Row:
    """4 KiB of zeros, random bytes or text over a 300-pair WARC file, at 10 places in turn, read back
    as replay and indexing do; the worst of the 30 damaged copies."""
    from archive.cdxj import index_warc
    from archive.http import request_block, response_head
    from archive.pages import iter_pages
    from archive.writer import WarcWriter

    writer = WarcWriter(workdir / "archive")
    for n in range(300):
        url = f"http://a.test/news/{n}"
        body = f"<html><body><p>{random.Random(n).randbytes(1500).hex()}</p></body></html>".encode()
        head = response_head(200, [("Content-Type", "text/html")], len(body))
        response = writer.factory.response(url, head, body)
        writer.write(
            [response, writer.factory.request(url, request_block("GET", url, []), response)]
        )
    writer.close()
    whole = (workdir / "archive" / writer.finished[0]).read_bytes()
    path = workdir / "damaged.warc.gz"
    fewest_read = fewest_indexed = 300
    for garbage in (bytes(4096), random.Random(9).randbytes(4096), b"x" * 4096):
        for place in range(1, 11):
            data = bytearray(whole)
            at = len(data) * place // 11
            data[at : at + 4096] = garbage
            path.write_bytes(bytes(data))
            fewest_read = min(fewest_read, sum(1 for _ in iter_pages([path])))
            fewest_indexed = min(fewest_indexed, len(index_warc(path)))
    return Row(
        f"4 KiB of garbage inside a {len(whole) / 2**20:.1f} MiB WARC (300 pages), worst of 30",
        "-",
        f"{fewest_indexed} indexed",
        f"{fewest_read} / 300 replayed",
        300 - min(fewest_read, fewest_indexed),
        "-",
    )


def _one_site(server: FixtureServer, routes: dict[str, Resource], extra: str = "") -> str:
    server.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    server.routes.update(routes)
    return f'[[source]]\nname = "bad"\nurl = "{server.base_url}/"\n{extra}'


def _story(title: str, words: str) -> bytes:
    body = "".join(
        f"<p>{words} on day {n}, and both sides said the talks went well.</p>" for n in range(20)
    )
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>".encode()


A = "/news/2026/11/20/a-story"
B = "/news/2026/11/21/b-story"


def bad_input(workdir: Path, case: str) -> Row:
    """One crawl of a small site with one broken input; two articles expected unless the input is the config."""
    with FixtureServer() as server:
        home = Resource(pages.listing_html("Home", [(A, "A"), (B, "B")]).encode())
        story_a, story_b = (
            _story("A story", "Caracas and Moscow talked"),
            _story("B story", "Tankers left the port"),
        )
        routes = {"/": home, A: Resource(story_a), B: Resource(story_b)}
        extra, expected, prepare = "", 2, None
        if case == "billion-laughs sitemap":
            entities = '<!ENTITY l0 "lol">' + "".join(
                f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
            )
            sitemap = (
                f'<?xml version="1.0"?><!DOCTYPE urlset [{entities}]><urlset>'
                f"<url><loc>{server.url('/x/')}&l9;</loc></url><url><loc>{server.url(A)}</loc></url>"
                f"<url><loc>{server.url(B)}</loc></url></urlset>"
            )
            routes.update(
                {
                    "/": Resource(pages.listing_html("Home", []).encode()),
                    "/sitemap.xml": Resource(sitemap.encode(), content_type="application/xml"),
                }
            )
            extra = f'sitemaps = ["{server.url("/sitemap.xml")}"]\n'
        elif case == "unescaped & in <loc>":
            sitemap = f"<urlset><url><loc>{server.url(A)}?a=1&b=2</loc></url><url><loc>{server.url(B)}</loc></url></urlset>"
            routes.update(
                {
                    "/": Resource(pages.listing_html("Home", []).encode()),
                    "/sitemap.xml": Resource(sitemap.encode(), content_type="application/xml"),
                }
            )
            extra = f'sitemaps = ["{server.url("/sitemap.xml")}"]\n'
        elif case == "status code of 21 digits":
            routes[B] = Resource(story_b, status=10**20)
            expected = 1
        elif case == "JSON-LD 100k deep":
            deep = (
                b'<script type="application/ld+json">'
                + b"[" * 100_000
                + b"]" * 100_000
                + b"</script>"
            )
            routes[A] = Resource(story_a.replace(b"</head>", deep + b"</head>"))
        elif case == "state.sqlite not a database":

            def prepare() -> None:
                (workdir / "data").mkdir(parents=True, exist_ok=True)
                (workdir / "data" / "state.sqlite").write_bytes(b"not a database\n" * 500)

            expected = 0
        elif case == "state.sqlite with garbage inside":

            def prepare() -> None:
                crawl(workdir, sources, SETTINGS)
                (workdir / "data" / "corpus").rename(workdir / "corpus-first")
                state = workdir / "data" / "state.sqlite"
                db = sqlite3.connect(state)
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                db.close()
                raw = bytearray(state.read_bytes())
                raw[4196 : 3 * 4096] = b"\xa5" * (3 * 4096 - 4196)
                state.write_bytes(bytes(raw))

            expected = 0
        sources = _one_site(server, routes, extra)
        if case == "empty sources file":
            sources, expected = "# nothing yet\n", 0
        elif case == "every source disabled":
            sources, expected = sources + "enabled = false\n", 0
        if prepare:
            prepare()
        result = crawl(workdir, sources, SETTINGS)
        asked = server.paths()
    written = len(result.manifest())
    mangled = sum(
        1 for path in asked if path.startswith("/x/")
    )  # an entity's text requested as a URL
    mangled += sum(1 for path in asked if path.endswith("a=1=2"))  # "?a=1&b=2" read as "?a=1=2"
    return Row(
        case,
        result.returncode,
        _readable(result.archive) if result.archive.exists() else 0,
        f"{written} / {expected}",
        max(expected - written, 0) + mangled,
        _said(result.log),
    )


CASES: list[tuple[str, Callable[[Path], Row]]] = [
    (
        "full disk, state first",
        lambda w: full_disk(w, {}, "full disk (EFBIG), the state's journal first"),
    ),
    (
        "full disk, WARC first",
        lambda w: full_disk(
            w, {"CRAWL_STATE_ENABLED": "False"}, "full disk (EFBIG), the WARC file first"
        ),
    ),
    ("worker killed", worker_killed),
    ("SIGINT", lambda w: stopped(w, signal.SIGINT)),
    ("SIGTERM", lambda w: stopped(w, signal.SIGTERM)),
    ("kill -9", killed),
    ("damaged WARC", damaged_warc),
    *[
        (case, lambda w, case=case: bad_input(w, case))
        for case in (
            "billion-laughs sitemap",
            "unescaped & in <loc>",
            "status code of 21 digits",
            "JSON-LD 100k deep",
            "state.sqlite not a database",
            "state.sqlite with garbage inside",
            "empty sources file",
            "every source disabled",
        )
    ],
]


def main() -> None:
    """Run every case and print its row."""
    print("| run fault | exit | archived | written / expected | lost | said |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, case in CASES:
        with tempfile.TemporaryDirectory() as scratch:
            try:
                row = case(Path(scratch))
            except Exception as error:  # noqa: BLE001 - an old version may fail a case outright: that is its row
                row = Row(
                    name,
                    "-",
                    "-",
                    "-",
                    "-",
                    f"the case failed: {type(error).__name__}: {str(error)[:80]}",
                )
        said = row.said.replace("|", "/").replace(scratch, "…")
        print(
            f"| {row.case} | {row.exit_code} | {row.archived} | {row.written} | {row.lost} | {said} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
