"""The attacks of issue 19 items 1, 4, 7, 8 and 9, each one crawl of a loopback site; a table row each.

    python -m benchmarks.hardening      (also printed at the end of ``python -m benchmarks.faults``)

Columns: requests the site answered, responses archived, articles written against those a
correct crawl writes, answers lost (answered but not archived), exit code, wall seconds,
peak memory of the crawl's process tree, and what happened. Nothing leaves 127.0.0.0/8:
names resolve through the scripted resolver of ``sitefixture.fakedns``; rows that need it
are not run on a tree without it (before issue 19: the old guard would ask real DNS).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from benchmarks.proctree import measure
from sitefixture import FixtureServer, Resource, pages
from sitefixture.scrapyrun import scrapy_command
from sitefixture.server import free_port
from sitefixture.text import paragraphs

MiB = 1 << 20
TIMEOUT = 180  # seconds; a crawl still running then is reported as hung
ROBOTS = Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain")
XML = "application/xml"
# A tree from before issue 19 has no scraper.resolver: its crawls would ask real DNS for the
# rows' names, so those rows are not run there. (Checked by file: an editable install of a
# newer tree would lend its modules to an import.)
GUARDED = (Path(__file__).resolve().parent.parent / "scraper" / "resolver.py").exists()


def story(key: str) -> bytes:
    body = "".join(f"<p>{text}</p>" for text in paragraphs(key, on_topic=True, count=8))
    return f"<html><head><title>Story {key}</title></head><body><article><h1>Story {key}</h1>{body}</article></body></html>".encode()


@dataclass
class Row:
    answered: int = 0
    archived: int = 0
    written: int = 0
    expected: int = 0
    exit: str = "-"
    seconds: float = 0.0
    peak_mib: float = 0.0
    note: str = ""
    log: str = ""


def _crawl(
    workdir: Path,
    servers: list[FixtureServer],
    sources: str,
    settings: dict[str, str],
    expected: int,
) -> Row:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sources.toml").write_text(sources)
    data = workdir / "data"
    command, env = scrapy_command(
        ["crawl", "news"],
        {
            "SOURCES_FILE": str(workdir / "sources.toml"),
            "DATA_DIR": str(data),
            "EXTRACTION_PROCESSES": "1",
            **settings,
        },
    )
    # timeout(1): TERM at TIMEOUT, KILL 10 s later if the reactor is too stuck to stop.
    run = measure(["timeout", "-k", "10", str(TIMEOUT), *command], workdir, env)
    answered = sum(len(server.requests) for server in servers)
    archived = 0
    for warc in sorted((data / "archive").glob("*.warc.gz*")):
        with warc.open("rb") as stream:
            try:
                archived += sum(
                    1
                    for record in ArchiveIterator(stream)
                    if record.rec_type in ("response", "revisit")
                )
            except Exception:  # noqa: BLE001, S110 - a killed crawl may leave a torn tail
                pass
    manifest = data / "corpus" / "index.jsonl"
    written = len(manifest.read_text().splitlines()) if manifest.exists() else 0
    hung = run.returncode in (124, 137, -9)
    return Row(
        answered,
        archived,
        written,
        expected,
        "hung" if hung else str(run.returncode),
        run.seconds,
        run.peak_rss / MiB,
        note=_note(run.output),
        log=run.output,
    )


def _note(log: str) -> str:
    summary = (
        log.split("Summary per source:")[1].splitlines()[1].split(": ", 1)[1]
        if "Summary per source:" in log
        else ""
    )
    cut = re.search(r"cut by limits (.*)", summary)
    errors = re.search(r"errors (\d+)", summary)
    return ("errors " + errors.group(1) if errors else "") + (
        f"; cut {cut.group(1)}" if cut else ""
    )


def _one_article_site(
    server: FixtureServer, home_links: list[tuple[str, str]], article: str
) -> None:
    server.routes["/robots.txt"] = ROBOTS
    server.routes["/"] = Resource(
        pages.listing_html("Home", [*home_links, (article, "A story")]).encode()
    )
    server.routes[article] = Resource(story("a"))


def rebinding(workdir: Path) -> Row | str:
    if not GUARDED:
        return (
            "not run: the old guard resolves names itself (real DNS); issue 19 saw 11 pages fetched"
        )
    port = free_port()
    close = [("Connection", "close")]
    with FixtureServer(host="127.0.0.2", port=port) as outside, FixtureServer(port=port) as inside:
        for server in (outside, inside):
            server.routes["/robots.txt"] = Resource(
                ROBOTS.body, content_type="text/plain", headers=close
            )
            server.routes["/"] = Resource(
                pages.listing_html("Home", [("/news/2026/11/20/a-story-here", "A")]).encode(),
                headers=close,
            )
            server.routes["/news/2026/11/20/a-story-here"] = Resource(story("a"), headers=close)
        settings = {
            "ALLOW_PRIVATE_ADDRESSES": "False",
            "TWISTED_DNS_RESOLVER": "sitefixture.fakedns.ScriptedResolver",
            "FAKE_DNS": json.dumps({"rebind.test": ["127.0.0.2", "127.0.0.1"]}),
            "FAKE_PUBLIC": "127.0.0.2",
            "DNSCACHE_ENABLED": "False",
        }
        row = _crawl(
            workdir,
            [outside, inside],
            f'[[source]]\nname = "rebind"\nurl = "http://rebind.test:{port}/"\n',
            settings,
            0,
        )
        row.note = f"loopback server reached {len(inside.requests)} times; " + row.note
    return row


def long_link(workdir: Path) -> Row:
    with FixtureServer() as server:
        _one_article_site(
            server, [("/news/" + "a" * 20_000 + "/", "trap")], "/news/2026/11/20/a-story"
        )
        return _crawl(
            workdir, [server], f'[[source]]\nname = "link"\nurl = "{server.base_url}/"\n', {}, 1
        )


def nested_quantifier(workdir: Path) -> Row:
    with FixtureServer() as server:
        _one_article_site(server, [("/news/" + "a" * 40 + "!", "trap")], "/news/2026/11/20/story-a")
        sources = (
            f'[[source]]\nname = "regex"\nurl = "{server.base_url}/"\narticle_pattern = "(a+)+$"\n'
        )
        return _crawl(workdir, [server], sources, {}, 1)


def endless_index(workdir: Path) -> Row:
    with FixtureServer() as server:
        server.routes["/robots.txt"] = Resource(
            f"User-agent: *\nAllow: /\nSitemap: {server.url('/maze/0.xml')}\n".encode(),
            content_type="text/plain",
        )
        server.routes["/"] = Resource(pages.listing_html("Home", []).encode())
        for level in range(2000):
            server.routes[f"/maze/{level}.xml"] = Resource(
                pages.sitemap_index([server.url(f"/maze/{level + 1}.xml")]).encode(),
                content_type=XML,
            )
        row = _crawl(
            workdir, [server], f'[[source]]\nname = "maze"\nurl = "{server.base_url}/"\n', {}, 0
        )
        row.note = (
            f"{sum(1 for p in server.paths() if p.startswith('/maze/'))} sitemaps fetched; "
            + row.note
        )
    return row


def huge_sitemap(workdir: Path) -> Row:
    with FixtureServer() as server:
        server.routes["/robots.txt"] = Resource(
            f"User-agent: *\nAllow: /\nSitemap: {server.url('/sitemap.xml')}\n".encode(),
            content_type="text/plain",
        )
        server.routes["/"] = Resource(pages.listing_html("Home", []).encode())
        entries = "".join(
            f"<url><loc>{server.base_url}/news/2026/11/20/story-{n}</loc></url>"
            for n in range(200_000)
        )
        server.routes["/sitemap.xml"] = Resource(
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode(),
            content_type=XML,
        )
        # Articles answer 404: the row is about discovery; the crawl closes after 300 responses.
        row = _crawl(
            workdir,
            [server],
            f'[[source]]\nname = "huge"\nurl = "{server.base_url}/"\n',
            {"CLOSESPIDER_PAGECOUNT": "300"},
            0,
        )
        times = {r.path: r.at for r in server.requests}
        first = min((r.at for r in server.requests if r.path.startswith("/news/")), default=None)
        delay = (
            f"first article asked {first - times['/sitemap.xml']:.1f} s after the sitemap"
            if first
            else "no article asked"
        )
        row.note = f"{delay}; " + row.note
    return row


def unreachable_robots(workdir: Path) -> Row:
    with FixtureServer() as server:
        _one_article_site(server, [], "/news/2026/11/20/a-story")
        server.routes["/robots.txt"] = Resource(
            b"User-agent: *\nDisallow: /news/\n" * 20, content_type="text/plain", cut_at=5
        )
        row = _crawl(
            workdir, [server], f'[[source]]\nname = "robots"\nurl = "{server.base_url}/"\n', {}, 0
        )
        row.note = (
            f"article fetched {server.paths().count('/news/2026/11/20/a-story')} times; " + row.note
        )
    return row


def header_charset(workdir: Path) -> Row:
    path = "/news/2026/11/20/über-die-brücke-story"
    quoted = "/news/2026/11/20/%C3%BCber-die-br%C3%BCcke-story"
    with FixtureServer() as server:
        server.routes["/robots.txt"] = ROBOTS
        home = pages.listing_html("Home", [(path, "Über")]).replace('<meta charset="utf-8">', "")
        server.routes["/"] = Resource(home.encode(), content_type="text/html; charset=utf-8")
        server.routes[quoted] = Resource(story("b"))
        row = _crawl(
            workdir, [server], f'[[source]]\nname = "charset"\nurl = "{server.base_url}/"\n', {}, 1
        )
        asked = [p for p in server.paths() if p.startswith("/news/")]
        row.note = f"asked {asked[0] if asked else 'nothing'}; " + row.note
    return row


def idn_host(workdir: Path) -> Row | str:
    if not GUARDED:
        return "not run: the old tree would ask real DNS for the name"
    with FixtureServer() as server:
        _one_article_site(server, [], "/news/2026/11/20/a-story")
        settings = {
            "TWISTED_DNS_RESOLVER": "sitefixture.fakedns.ScriptedResolver",
            "FAKE_DNS": json.dumps({"xn--bcher-kva.test": ["127.0.0.1"]}),
        }
        return _crawl(
            workdir,
            [server],
            f'[[source]]\nname = "idn"\nurl = "http://bücher.test:{server.port}/"\n',
            settings,
            1,
        )


def torn_manifest_line(workdir: Path) -> Row:
    """Two runs; between them the corpus manifest's last line is cut in half, as a crawl killed
    while appending it leaves it. Figures are of both runs; written counts distinct URLs."""
    stories = [f"/news/2026/11/20/story-{key}" for key in "def"]
    with FixtureServer() as server:
        server.routes["/robots.txt"] = ROBOTS
        server.routes["/"] = Resource(
            pages.listing_html("Home", [(path, "A story") for path in stories]).encode()
        )
        for key, path in zip("def", stories, strict=True):
            server.routes[path] = Resource(story(key))
        sources = f'[[source]]\nname = "torn"\nurl = "{server.base_url}/"\n'
        _crawl(workdir, [server], sources, {}, 3)
        manifest = workdir / "data" / "corpus" / "index.jsonl"
        lines = manifest.read_bytes().splitlines(keepends=True)
        manifest.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
        row = _crawl(workdir, [server], sources, {}, 3)
        entries = [json.loads(line) for line in manifest.read_bytes().splitlines()]
        row.written = len({entry["canonical_url"] for entry in entries})
        asked = sum(1 for r in server.requests if r.path in stories)
        row.note = (
            f"articles asked {asked} times in two runs; corpus ids {[e['id'] for e in entries]}; "
            + row.note
        )
    return row


def second_request(workdir: Path) -> Row:
    """A section page whose ``next`` link is itself with a tracking parameter: one canonical URL
    asked twice in a run, the second time with the validators of the first."""
    with FixtureServer() as server:
        server.routes["/robots.txt"] = ROBOTS
        server.routes["/"] = Resource(pages.listing_html("Home", []).encode())
        server.routes["/news/"] = Resource(
            pages.listing_html(
                "News",
                [("/news/2026/11/20/a-story", "A story")],
                extra_head='<link rel="next" href="/news/?utm_source=pager">',
            ).encode()
        )
        server.routes["/news/2026/11/20/a-story"] = Resource(story("c"))
        sources = (
            f'[[source]]\nname = "again"\nurl = "{server.base_url}/"\n'
            f'start_urls = ["{server.base_url}/news/"]\n'
        )
        row = _crawl(workdir, [server], sources, {}, 1)
        asked = [r for r in server.requests if r.path.startswith("/news/?") or r.path == "/news/"]
        conditional = sum(1 for r in asked if "If-None-Match" in r.headers)
        row.note = (
            f"/news/ asked {len(asked)} times, {conditional} conditional; "
            f"{row.log.count('No archived copy')} '304 without a capture'; " + row.note
        )
    return row


CASES: list[tuple[str, Callable[[Path], Row | str]]] = [
    ("1. DNS rebinding: 127.0.0.2 (public here), then 127.0.0.1", rebinding),
    ("4. 20 KB link, default article heuristic", long_link),
    ("4. article_pattern (a+)+$ and a 41-char link", nested_quantifier),
    ("7. sitemap index pointing deeper, 2000 levels", endless_index),
    ("7. sitemap of 200,000 URLs", huge_sitemap),
    ("8. robots.txt connection reset mid-body", unreachable_robots),
    ("9. link /über, charset only in the HTTP header", header_charset),
    ("9. source http://bücher.test/ (IDN host)", idn_host),
    ("19a. manifest's last line torn between two runs", torn_manifest_line),
    ("19b. one URL asked twice in a run (section pager links itself)", second_request),
]


def report() -> None:
    """Run every case and print the table."""
    print(
        "\n| attack (issue 19 item) | answered | archived | written / expected | lost | exit | s | peak MiB | what happened |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as scratch:
        for number, (name, case) in enumerate(CASES):
            row = case(Path(scratch) / str(number))
            if isinstance(row, str):
                print(f"| {name} | | | | | | | | {row} |")
                continue
            print(
                f"| {name} | {row.answered} | {row.archived} | {row.written} / {row.expected} | {row.answered - row.archived} "
                f"| {row.exit} | {row.seconds:.0f} | {row.peak_mib:.0f} | {row.note} |",
                flush=True,
            )


if __name__ == "__main__":
    report()
