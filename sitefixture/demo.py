"""``make demo``: the whole product on the bundled fixture site, offline, in one command.

Serves the fixture news site on 127.0.0.1, crawls it into a fresh ``DATA_DIR`` (WARC archive,
corpus, crawl state), shows what came out, then browses the archive with pywb (when a
``wayback`` program is given) until ``--serve-seconds`` pass or Ctrl-C. Everything it
started is stopped before it returns: nothing is left running.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from sitefixture import FixtureServer
from sitefixture.news import build_news_site
from sitefixture.scrapyrun import scrapy_command
from sitefixture.server import free_port

FIRST_CHARS = 100  # of each corpus file, shown after the crawl


def _say(text: str) -> None:
    print(f"\n== {text}", flush=True)


def _show_corpus(corpus: Path) -> None:
    files = sorted(corpus.glob("*.txt"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        headline, _, body = text.partition("\n")
        print(f"  {path.name}  {headline}\n      {body[:FIRST_CHARS].replace(chr(10), ' ')}...")
    print(f"  {len(files)} articles; their metadata, one JSON line each: {corpus / 'index.jsonl'}")


def _serve(data: Path, wayback: str, seconds: float, article_url: str) -> int:
    port = free_port()
    command, env = scrapy_command(
        ["serve", "--port", str(port)], {"DATA_DIR": str(data), "PYWB_WAYBACK": wayback}
    )
    server = subprocess.Popen(command, cwd=data.parent, env=env, start_new_session=True)
    if not _listening(port, server):
        print("error: the replay server did not start", file=sys.stderr)
        return 3
    base = f"http://127.0.0.1:{port}/news"
    _say(f"Replay: point a browser at {base}/*/{quote(article_url, safe=':/')}")
    print(
        f"  (every capture of a page: {base}/*/<url>; the original bytes: {base}/<timestamp>id_/<url>)"
    )
    print(f"  Serving for {seconds:.0f} s; Ctrl-C stops it sooner.", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait(seconds)
    server.terminate()  # scrapy serve stops pywb on SIGTERM
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    return 130 if stop.is_set() else 0


def _listening(port: int, server: subprocess.Popen[bytes], timeout: float = 120) -> bool:
    """Wait until something listens on ``port``, or ``server`` ended, or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.3)
    return False


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return its exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m sitefixture.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--dir", default="demo", help="where the demo's sources file and data go (default demo)"
    )
    parser.add_argument("--wayback", default="", help="pywb's wayback program, for the replay step")
    parser.add_argument(
        "--serve-seconds",
        type=float,
        default=300,
        help="how long to serve the replay (default 300)",
    )
    opts = parser.parse_args(argv)
    workdir = Path(opts.dir).resolve()
    shutil.rmtree(workdir / "data", ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        sources = workdir / "sources.toml"
        sources.write_text(site.source_toml(server.base_url))
        data = workdir / "data"
        _say(f"Crawl: the fixture news site at {server.base_url}/ (sources: {sources})")
        command, env = scrapy_command(
            ["crawl", "news", "--loglevel", "WARNING"],
            {"SOURCES_FILE": str(sources), "DATA_DIR": str(data)},
        )
        crawl = subprocess.run(
            command, cwd=workdir, env=env, stderr=subprocess.PIPE, text=True, check=False
        )
        if crawl.returncode != 0:
            print(crawl.stderr, file=sys.stderr)
            print(f"error: the demo crawl exited with code {crawl.returncode}", file=sys.stderr)
            return crawl.returncode
        summary = subprocess.run(
            scrapy_command(["sources"], {"SOURCES_FILE": str(sources), "DATA_DIR": str(data)})[0],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        print(summary.stdout, end="")
        _say(f"Archive: {data / 'archive'}")
        for path in sorted((data / "archive").glob("*.warc.gz")):
            print(f"  {path.name}  {path.stat().st_size} bytes")
        _say(f"Corpus: {data / 'corpus'}")
        _show_corpus(data / "corpus")
        if not opts.wayback:
            print(
                "\nNo pywb given (--wayback): replay skipped. `make demo` passes the one of .venv-pywb."
            )
            return 0
        first = next(iter(site.articles.values()))
        return _serve(data, opts.wayback, opts.serve_seconds, server.url(first.path))


if __name__ == "__main__":
    sys.exit(main())
