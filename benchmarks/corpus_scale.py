"""What a big corpus costs a crawl: opening the store, its memory, adding articles, a crawl on top.

    python -m benchmarks.corpus_scale --sizes 10000,100000,1000000 [--workdir DIR] [--layout]

For each size, builds (once; kept in ``--workdir``) a corpus of that many articles:
text files and an ``index.jsonl`` with realistic entries (unique URLs and SimHashes,
some updated versions and noted duplicates). Then, each in a fresh process: the
first open of the store (which may build a lookup index), a second open (time and
memory added), 1,000 articles stored as the corpus pipeline does (canonical-URL and
near-duplicate checks, copies noted), and a crawl of the fixture news site on
127.0.0.1 into that corpus: seconds to its first request and the peak PSS of its
process tree. The corpus is put back as built afterwards. ``--layout`` also times
listing and opening files in the largest corpus folder, flat and sharded.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.proctree import measure
from corpus.article import Article
from corpus.urls import url_hash

MiB = 2**20
ADDS = 1000
MANIFEST = "index.jsonl"
_WORDS = [
    "government",
    "minister",
    "talks",
    "oil",
    "deal",
    "agreement",
    "economy",
    "market",
    "election",
    "court",
    "police",
    "city",
    "council",
    "parliament",
    "energy",
    "prices",
    "inflation",
    "budget",
    "report",
    "president",
    "union",
    "trade",
    "border",
    "security",
    "army",
    "school",
    "hospital",
    "water",
    "climate",
    "summit",
    "bank",
    "strike",
    "protest",
    "vote",
    "reform",
    "tax",
    "workers",
    "company",
]


def _text(number: int, rng: random.Random) -> tuple[str, list[str]]:
    title = f"Story {number}: " + " ".join(rng.choices(_WORDS, k=6))
    paragraphs = [" ".join(rng.choices(_WORDS, k=60)) + f" ({number}-{p})." for p in range(6)]
    return title, paragraphs


def _url(number: int) -> str:
    source = f"source{number % 30:02d}"
    slug = hashlib.md5(str(number).encode()).hexdigest()[:8]
    return f"https://www.{source}.example/{2020 + number % 6}/{1 + number % 12:02d}/story-{number}-{slug}"


def _entry(number: int, rng: random.Random, text: bytes, title: str) -> dict[str, Any]:
    source = f"source{number % 30:02d}"
    url = _url(number)
    return {
        "authors": [f"Author {number % 997}"],
        "canonical_url": url,
        "fetched_at": f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}T10:00:00Z",
        "file": f"{number:03d}_{url_hash(url)}.txt",
        "id": number,
        "language": "en",
        "published": f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}T08:00:00+00:00",
        "sha1": hashlib.sha1(text).hexdigest(),
        "simhash": f"{rng.getrandbits(64):016x}",
        "source": source,
        "title": title,
        "url": url,
        "version": 1,
        "words": 360,
        "warc": {
            "filename": f"news-20260101000000-{number // 30000:05d}-host-1.warc.gz",
            "length": 9000 + number % 5000,
            "offset": (number % 30000) * 30000,
            "record_id": f"<urn:uuid:{rng.getrandbits(128):032x}>",
        },
    }


def build_corpus(corpus: Path, size: int) -> None:
    """Write ``size`` article files and their manifest; 5% get a second version, 3% a noted copy."""
    corpus.mkdir(parents=True, exist_ok=True)
    rng = random.Random(size)
    with (corpus / MANIFEST).open("w", encoding="utf-8", buffering=1 << 20) as manifest:
        for number in range(size):
            title, paragraphs = _text(number, rng)
            text = "\n".join([title, *paragraphs, ""]).encode()
            entry = _entry(number, rng, text, title)
            fd = os.open(corpus / entry["file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, text)
            os.close(fd)
            manifest.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
            if number % 20 == 7:
                manifest.write(
                    json.dumps(
                        {**entry, "version": 2, "sha1": hashlib.sha1(text + b"x").hexdigest()},
                        sort_keys=True,
                    )
                    + "\n"
                )
            if number % 33 == 5:
                manifest.write(
                    json.dumps(
                        {**entry, "duplicates": [entry["url"].replace("www.", "amp.")]},
                        sort_keys=True,
                    )
                    + "\n"
                )


def restore(data_dir: Path, manifest_size: int, size: int) -> None:
    """Put the corpus back as built: cut the manifest, remove the files added and everything else."""
    corpus = data_dir / "corpus"
    manifest = corpus / MANIFEST
    with manifest.open("rb") as stream:
        stream.seek(manifest_size)
        entries = [json.loads(line) for line in stream if line.endswith(b"\n")]
    added = [
        entry["file"] for entry in entries if entry["id"] >= size
    ]  # not the copies noted on old ones
    os.truncate(manifest, manifest_size)
    for name in set(added):
        (corpus / name).unlink(missing_ok=True)
    for path in corpus.iterdir():
        if not (path.name == MANIFEST or path.name.endswith(".txt")):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in data_dir.iterdir():
        if path.name != "corpus":
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _pss() -> int:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def _articles(size: int) -> list[tuple[str, Article]]:
    """What the pipeline gets: new articles, copies of corpus articles under an AMP URL, near-copies."""
    rng = random.Random(-size)
    made: list[tuple[str, Article]] = []
    for k in range(ADDS):
        if k % 10 == 3:  # an AMP page declaring a corpus article's URL canonical
            made.append(
                (
                    "copy",
                    Article(
                        url=f"https://amp.example/{k}",
                        title="Copy",
                        paragraphs=["Copy."],
                        canonical_url=_url(k * 7919 % size),
                    ),
                )
            )
        elif k % 10 == 6:  # another site's copy of the article stored two steps earlier
            original = made[-2][1]
            body = [*original.paragraphs[:-1], original.paragraphs[-1].replace("(", "[", 1)]
            made.append(
                (
                    "near",
                    Article(
                        url=f"https://wire.example/{k}",
                        title=original.title,
                        paragraphs=body,
                        canonical_url=f"https://wire.example/{k}",
                    ),
                )
            )
        else:
            title, paragraphs = _text(10**9 + k, rng)
            url = f"https://new.example/{size}/story-{k}"
            made.append(
                ("new", Article(url=url, title=title, paragraphs=paragraphs, canonical_url=url))
            )
    return made


def store_like_the_pipeline(
    store: Any, article: Article, fields: dict[str, Any]
) -> tuple[str, int]:
    """What ``CorpusPipeline._store`` does with a new article: the answer and the article number."""
    existing = store.entry_for(article.canonical_url)
    if existing is not None:
        store.add_duplicate(existing["id"], article.url)
        return "duplicate", existing["id"]
    existing = store.near_duplicate(article)
    if existing is not None:
        store.add_duplicate(existing["id"], article.url)
        return "near-duplicate", existing["id"]
    return "written", store.add(article, **fields)["id"]


def probe(corpus: Path, size: int, first: bool) -> dict[str, Any]:
    """Run in a fresh process: open the store (and, unless ``first``, add the articles)."""
    from corpus.store import CorpusStore

    made = _articles(size)
    for _, article in made:
        article.fingerprint()  # computed in the extraction pool, not by the store
        article.words  # noqa: B018 - counted there too (a property that counts each time, before)
    gc.collect()
    before = _pss()
    started = time.perf_counter()
    store = CorpusStore(corpus).open()
    opened = time.perf_counter() - started
    gc.collect()
    result: dict[str, Any] = {"open_s": opened, "added_bytes": _pss() - before}
    if not first:
        fields = {
            "source": "bench",
            "fetched_at": "2026-11-30T10:00:00Z",
            "warc": {
                "filename": "x.warc.gz",
                "offset": 0,
                "length": 1,
                "record_id": "<urn:uuid:x>",
            },
        }
        answers = []
        started = time.perf_counter()
        for _, article in made:
            with store.transaction():
                answers.append(store_like_the_pipeline(store, article, fields))
        result["add_ms"] = (time.perf_counter() - started) * 1000 / len(made)
        result["answers"] = hashlib.sha1(json.dumps(answers).encode()).hexdigest()[:12]
        result["written"] = sum(kind == "written" for kind, _ in answers)
    store.close()
    return result


def _run_probe(corpus: Path, size: int, first: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.corpus_scale",
        "--probe",
        str(corpus),
        "--size",
        str(size),
    ]
    done = subprocess.run(
        command + (["--first"] if first else []), capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"probe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def crawl_on_top(data_dir: Path, workdir: Path) -> tuple[float, int, str]:
    """Crawl the fixture news site into ``data_dir``: seconds to its first request, peak PSS, breakdown."""
    from sitefixture import FixtureServer
    from sitefixture.news import build_news_site
    from sitefixture.scrapyrun import scrapy_command

    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as offsite:
        site = build_news_site(server.base_url, offsite.base_url)
        server.routes.update(site.routes)
        sources = workdir / "sources.toml"
        sources.write_text(site.source_toml(server.base_url))
        command, env = scrapy_command(
            ["crawl", "news"], {"SOURCES_FILE": str(sources), "DATA_DIR": str(data_dir)}
        )
        started = time.monotonic()
        result = measure(command, workdir, env, timeout=3600)
        if result.returncode:
            raise SystemExit(
                f"crawl failed with exit code {result.returncode}:\n{result.output[-3000:]}"
            )
        first = server.requests[0].at - started if server.requests else float("nan")
    return first, result.peak_rss, result.peak_breakdown()


def run_size(root: Path, size: int) -> dict[str, Any]:
    data_dir = root / f"corpus-{size}" / "data"
    corpus = data_dir / "corpus"
    ready = root / f"corpus-{size}.built"
    if not ready.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        started = time.perf_counter()
        build_corpus(corpus, size)
        ready.write_text(str((corpus / MANIFEST).stat().st_size))
        print(f"built {size} articles in {time.perf_counter() - started:.0f} s", flush=True)
    manifest_size = int(ready.read_text())
    restore(data_dir, manifest_size, size)
    try:
        first = _run_probe(corpus, size, first=True)
        again = _run_probe(corpus, size, first=False)
        to_first, peak, parts = crawl_on_top(data_dir, root / f"corpus-{size}")
    finally:
        restore(data_dir, manifest_size, size)
    row = {
        "size": size,
        "first_open_s": first["open_s"],
        **again,
        "first_request_s": to_first,
        "peak": peak,
    }
    print(
        f"{size:>9}: first open {first['open_s']:.2f} s, open {again['open_s']:.3f} s "
        f"(+{again['added_bytes'] / MiB:.0f} MiB), add {again['add_ms']:.2f} ms/article, answers {again['answers']}, "
        f"crawl: first request after {to_first:.2f} s, peak PSS {peak / MiB:.0f} MiB ({parts})",
        flush=True,
    )
    return row


def _timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def layout(corpus: Path, size: int) -> None:
    """Listing, opening and creating files in the flat corpus folder and in one sharded by thousands."""
    names = sorted(name for name in os.listdir(corpus) if name.endswith(".txt"))
    rng = random.Random(1)
    sample = rng.sample(names, 1000)
    with tempfile.TemporaryDirectory(dir=corpus.parent) as scratch:
        sharded = Path(scratch)
        started = time.perf_counter()
        for name in names:
            folder = sharded / f"{int(name.split('_')[0]) // 1000:04d}"
            if not folder.exists():
                folder.mkdir()
            os.link(corpus / name, folder / name)
        print(
            f"layout: linked {len(names)} files into {sharded.name}/NNNN/ in {time.perf_counter() - started:.0f} s"
        )
        shard = lambda name: sharded / f"{int(name.split('_')[0]) // 1000:04d}" / name
        rows = {
            "list the folder (os.scandir)": (
                lambda: sum(1 for _ in os.scandir(corpus)),
                lambda: sum(1 for folder in os.scandir(sharded) for _ in os.scandir(folder.path)),
            ),
            "open and read 1,000 random files": (
                lambda: [(corpus / name).read_bytes() for name in sample],
                lambda: [shard(name).read_bytes() for name in sample],
            ),
            "stat 1,000 missing names": (
                lambda: [(corpus / ("9" + name)).exists() for name in sample],
                lambda: [shard("9" + name).exists() for name in sample],
            ),
            "create, rename and remove 1,000 files": (
                lambda: _churn(corpus, size),
                lambda: _churn(sharded / f"{size // 1000:04d}", size),
            ),
            "write in .incoming/, link in, remove 1,000": (
                lambda: _churn_linked(corpus, size),
                lambda: _churn_linked(sharded / f"{size // 1000:04d}", size),
            ),
        }
        print(f"{'':40}{'flat':>10}{'sharded':>10}")
        for label, (flat, split) in rows.items():
            times = [(_timed(flat), _timed(split)) for _ in range(3)]  # interleaved; best of three
            print(f"{label:40}{min(t[0] for t in times):>9.3f}s{min(t[1] for t in times):>9.3f}s")


def _churn(folder: Path, size: int) -> None:
    folder.mkdir(exist_ok=True)
    for n in range(size, size + 1000):
        temp, final = folder / f"{n:03d}_{n:016x}.txt.tmp", folder / f"{n:03d}_{n:016x}.txt"
        temp.write_bytes(b"x" * 2000)
        os.replace(temp, final)
    for n in range(size, size + 1000):
        (folder / f"{n:03d}_{n:016x}.txt").unlink()


def _churn_linked(folder: Path, size: int) -> None:
    """What the store does for a new file: written in a small folder, hard-linked into place."""
    folder.mkdir(exist_ok=True)
    incoming = folder.parent / ".incoming-layout"
    incoming.mkdir(exist_ok=True)
    for n in range(size, size + 1000):
        temp, final = incoming / f"{n:03d}_{n:016x}.txt", folder / f"{n:03d}_{n:016x}.txt"
        temp.write_bytes(b"x" * 2000)
        os.link(temp, final)
        temp.unlink()
    for n in range(size, size + 1000):
        (folder / f"{n:03d}_{n:016x}.txt").unlink()
    incoming.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="comma-separated corpus sizes (articles)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the built corpora here (default: a temporary folder)"
    )
    parser.add_argument(
        "--layout", action="store_true", help="also time listing and opening in the largest folder"
    )
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--first", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, args.size, args.first)))
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        root = args.workdir or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        rows = [run_size(root, size) for size in sizes]
        print(
            f"\n{'articles':>9} {'1st open':>9} {'open':>7} {'memory':>8} {'add/article':>12} {'answers':>13}"
            f" {'1st request':>12} {'crawl peak PSS':>15}"
        )
        for row in rows:
            print(
                f"{row['size']:>9} {row['first_open_s']:>8.2f}s {row['open_s']:>6.3f}s {row['added_bytes'] / MiB:>5.0f} MiB"
                f" {row['add_ms']:>9.2f} ms {row['answers']:>13} {row['first_request_s']:>11.2f}s {row['peak'] / MiB:>11.0f} MiB"
            )
        if len(rows) > 1:
            print(
                f"from {rows[0]['size']} to {rows[-1]['size']}: crawl peak PSS "
                f"{(rows[-1]['peak'] - rows[0]['peak']) / MiB:+.0f} MiB"
            )
        if args.layout:
            layout(root / f"corpus-{sizes[-1]}" / "data" / "corpus", sizes[-1])


if __name__ == "__main__":
    main()
