"""Three scheduled runs over one DATA_DIR, on a folder of real pages served as a fixture site.

    python -m benchmarks.incremental --pages ../shared/pages

Run 1 sees all pages but the last ten; those are published before run 2; run 3
sees no change. Prints requests (articles among them), revisits and time per run.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from benchmarks.sharedsite import build_shared_site, load_pages, source_toml
from sitefixture import FixtureServer
from sitefixture.scrapyrun import crawl

HELD_BACK = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=Path, required=True, help="folder with pages.jsonl and *.html.gz"
    )
    args = parser.parse_args()
    site_pages = load_pages(args.pages)
    with tempfile.TemporaryDirectory() as scratch, FixtureServer() as server:
        workdir = Path(scratch)
        sources = source_toml(server.base_url, site_pages)
        settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": "16"}
        print(
            f"{'run':<5}{'requests':>10}{'articles':>10}{'revisits':>10}{'written':>9}{'seconds':>9}"
        )
        for number in (1, 2, 3):
            visible = site_pages if number > 1 else site_pages[:-HELD_BACK]
            server.routes.clear()
            server.routes.update(build_shared_site(server.base_url, visible))
            before = len(server.paths())
            started = time.perf_counter()
            result = crawl(workdir, sources, settings, timeout=3600)
            elapsed = time.perf_counter() - started
            if result.returncode:
                raise SystemExit(f"run {number} failed:\n{result.log[-3000:]}")
            paths = server.paths()[before:]
            revisits = re.search(r"'warc/revisits': (\d+)", result.log)
            written = re.search(r"'news/shared/written': (\d+)", result.log)
            print(
                f"{number:<5}{len(paths):>10}{sum(p.startswith('/articles/') for p in paths):>10}"
                f"{int(revisits.group(1)) if revisits else 0:>10}{int(written.group(1)) if written else 0:>9}"
                f"{elapsed:>9.1f}"
            )


if __name__ == "__main__":
    main()
