"""Build time and size of the crawl report on a generated DATA_DIR.

    python -m benchmarks.report [--lines 100000] [--sources 30] [--days 30] [--runs-per-day 24]
                                [--keep DIR]

Writes a corpus manifest of ``--lines`` lines (one in twenty an update or a duplicates
line of an earlier article), a crawl state with one run per source every
``24 / --runs-per-day`` hours, and a sources file; then builds the report in this
process (gather and render timed apart) and once more with
``scrapy report`` as a user would run it. Prints the times (wall and CPU:
on a shared machine CPU seconds are the steadier figure), the file size and the
command's peak memory (PSS).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.proctree import measure
from scraper.report.data import SourceInfo, gather
from scraper.report.page import render
from scraper.state import CrawlState
from sitefixture.scrapyrun import scrapy_command

LANGUAGES = ["en"] * 6 + ["es"] * 3 + ["de", "fr", "pt", "ru"]
REASONS = ["off-topic", "too-short", "listing", "duplicate", "paywall", "empty"]


def generate(
    data: Path, lines: int, sources: int, days: int, runs_per_day: int, now: datetime
) -> None:
    """Write ``data/corpus/index.jsonl``, ``data/state.sqlite`` and ``sources.toml`` beside it."""
    rng = random.Random(23)
    names = [f"source-{n:02d}" for n in range(sources)]
    data.mkdir(parents=True)
    (data.parent / "sources.toml").write_text(
        "".join(
            f'[[source]]\nname = "{name}"\nurl = "http://127.0.0.1:9/{name}/"\n\n' for name in names
        )
    )
    corpus = data / "corpus"
    corpus.mkdir()
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    written: list[dict[str, object]] = []
    with (corpus / "index.jsonl").open("w", encoding="utf-8") as manifest:
        for line in range(lines):
            if written and rng.random() < 0.05:
                entry = dict(rng.choice(written), version=2)
            else:
                number = len(written)
                name = rng.choice(names)
                fetched = start + timedelta(seconds=span * line / lines)
                url = f"http://127.0.0.1:9/{name}/2026/11/article-{number}"
                entry = {
                    "id": number,
                    "file": f"{number:03d}_{number:016x}.txt",
                    "url": url,
                    "canonical_url": url,
                    "source": name,
                    "title": f"Headline number {number} about the news of the day",
                    "authors": ["A. Writer"],
                    "published": fetched.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    "language": rng.choice(LANGUAGES),
                    "fetched_at": fetched.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "words": rng.randint(150, 2000),
                    "sha1": f"{number:040x}",
                    "simhash": f"{number:016x}",
                    "version": 1,
                    "warc": {
                        "filename": "news-1.warc.gz",
                        "offset": number * 5000,
                        "length": 4000,
                        "record_id": f"<urn:uuid:{number}>",
                    },
                }
                written.append(entry)
            manifest.write(json.dumps(entry) + "\n")
    state = CrawlState(data / "state.sqlite")
    state.db.execute("BEGIN")
    for run in range(days * runs_per_day):
        started = (start + timedelta(hours=24 * run / runs_per_day)).isoformat()
        for name in names:
            filtered = {reason: rng.randint(0, 4) for reason in rng.sample(REASONS, 3)}
            examples = {
                reason: [f"http://127.0.0.1:9/{name}/{reason}/{n}" for n in range(3)]
                for reason in filtered
            }
            status = {
                "200": rng.randint(20, 60),
                "304": rng.randint(0, 30),
                "404": rng.randint(0, 2),
            }
            state.record_run(
                started,
                name,
                {
                    "discovered": rng.randint(20, 80),
                    "known": rng.randint(0, 40),
                    "fetched": sum(status.values()),
                    "status": status,
                    "written": rng.randint(0, 12),
                    "updated": rng.randint(0, 1),
                    "filtered": filtered,
                    "examples": examples,
                    "errors": rng.randint(0, 1),
                },
            )
    state.db.execute("COMMIT")
    state.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="manifest lines")
    parser.add_argument("--sources", type=int, default=30)
    parser.add_argument(
        "--days", type=int, default=30, help="days of runs (and the report's period)"
    )
    parser.add_argument("--runs-per-day", type=int, default=24)
    parser.add_argument(
        "--keep", type=Path, help="generate into this new folder and leave it there"
    )
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.keep or Path(scratch)
        data = workdir / "data"
        started = time.perf_counter()
        generate(data, args.lines, args.sources, args.days, args.runs_per_day, now)
        manifest = data / "corpus" / "index.jsonl"
        print(
            f"generated {args.lines:,} manifest lines ({manifest.stat().st_size / 2**20:.1f} MiB), "
            f"{args.sources} sources x {args.days * args.runs_per_day} runs "
            f"in {time.perf_counter() - started:.1f} s"
        )
        sources = [
            SourceInfo(f"source-{n:02d}", f"http://127.0.0.1:9/source-{n:02d}/")
            for n in range(args.sources)
        ]
        started, cpu = time.perf_counter(), time.process_time()
        state = CrawlState(data / "state.sqlite")
        report = gather(data / "corpus", state, sources, now=now, days=args.days)
        state.close()
        gathered, gathered_cpu = time.perf_counter(), time.process_time()
        page = render(report, "http://127.0.0.1:8080")
        rendered, rendered_cpu = time.perf_counter(), time.process_time()
        print(
            f"in process: gather {gathered - started:.2f} s ({gathered_cpu - cpu:.2f} s CPU), "
            f"render {rendered - gathered:.3f} s ({rendered_cpu - gathered_cpu:.3f} s CPU); "
            f"{report.articles:,} articles, {len(page.encode()):,} bytes"
        )
        command, env = scrapy_command(["report", "--days", str(args.days)], {"DATA_DIR": str(data)})
        done = measure(command, workdir, env, timeout=600)
        if done.returncode:
            raise SystemExit(f"scrapy report failed:\n{done.output[-2000:]}")
        size = (data / "report.html").stat().st_size
        print(
            f"scrapy report (process start included): {done.seconds:.2f} s "
            f"({done.cpu_seconds:.2f} s CPU), "
            f"{size:,} bytes ({size / 2**10:.0f} KiB), peak PSS {done.peak_rss / 2**20:.0f} MiB"
        )
        print(next(line for line in done.output.splitlines() if line.startswith("Report written")))


if __name__ == "__main__":
    main()
