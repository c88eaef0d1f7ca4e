"""Crawl a folder of real pages served as a fixture site, and print what came out.

    python -m benchmarks.crawl --pages ../shared/pages

Prints articles found against expected, body F1 of the corpus against the
hand-written parsers' bodies, pages/s of the whole crawl and peak RSS.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.metrics import aggregate, match
from benchmarks.sharedsite import SharedPage, build_shared_site, load_pages, source_toml
from sitefixture import FixtureServer
from sitefixture.scrapyrun import crawl

MIN_WORDS = 100  # the default CORPUS_MIN_WORDS: shorter bodies are not expected in the corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, required=True, help="folder with pages.jsonl and *.html.gz")
    parser.add_argument("--workdir", type=Path, help="keep the crawl's data here (default: a temporary folder)")
    parser.add_argument("--processes", default="0", help="EXTRACTION_PROCESSES (0: one per core)")
    args = parser.parse_args()

    site_pages = load_pages(args.pages)
    with tempfile.TemporaryDirectory() as scratch, FixtureServer() as server:
        server.routes.update(build_shared_site(server.base_url, site_pages))
        workdir = args.workdir or Path(scratch)
        settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": "16", "LOGSTATS_INTERVAL": "5"}
        if args.processes != "0":
            settings["EXTRACTION_PROCESSES"] = args.processes
        started = time.perf_counter()
        result = crawl(workdir, source_toml(server.base_url, site_pages), settings, timeout=3600)
        elapsed = time.perf_counter() - started
        requests = len(server.paths())
        (workdir / "crawl.log").write_text(result.log)
        if result.returncode:
            raise SystemExit(f"crawl failed with exit code {result.returncode}:\n{result.log[-3000:]}")
        manifest = {urlsplit(entry["url"]).path: entry for entry in result.manifest()}
        report(site_pages, manifest, result.corpus, requests, elapsed, result.log)


def report(
    site_pages: list[SharedPage], manifest: dict[str, dict[str, Any]], corpus: Path,
    requests: int, elapsed: float, log: str,
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
    print(f"articles found      {len(found)} of expected, {len(extra)} more, {len(manifest)} in corpus")
    missing = [p.path for p in expected if p.path not in manifest]
    copies = {urlsplit(url).path: entry["url"] for entry in manifest.values() for url in entry.get("duplicates", [])}
    for path in missing[:10]:
        kept = f" (a copy of {urlsplit(copies[path]).path})" if path in copies else ""
        print(f"  missing           {path}{kept}")
    print(f"body F1             {scores.f1:.3f} (precision {scores.precision:.3f}, recall {scores.recall:.3f}) over all pages")
    print(f"requests            {requests} in {elapsed:.1f} s: {requests / elapsed:.1f} pages/s")
    if peak:
        print(f"peak RSS (crawler)  {int(peak.group(1)) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
