"""Twenty SIGKILLs at random moments, each followed by a restart, lose and corrupt nothing."""

from __future__ import annotations

import gzip
import os
import random
import re
import signal
import time
from pathlib import Path

from archive.members import complete_members
from tests.conftest import ServedSite, crawl, warcio_check
from tests.test_resume import start_crawl

KILLS = 20
RECORD_ID = re.compile(rb"\r\nWARC-Record-ID: (<[^>]+>)")


def whole_record_ids(archive: Path) -> set[bytes]:
    """The ids of every whole record on disk, finished files and ``.open`` ones alike."""
    ids = set()
    for path in archive.glob("*.warc.gz*"):
        with path.open("rb") as stream:
            data = stream.read()
            stream.seek(0)
            for offset, length in complete_members(stream):
                found = RECORD_ID.search(gzip.decompress(data[offset : offset + length]))
                assert found is not None
                ids.add(found.group(1))
    return ids


def final_record_ids(warc_files: list[Path]) -> set[bytes]:
    return {
        found.group(1)
        for path in warc_files
        for found in RECORD_ID.finditer(gzip.decompress(path.read_bytes()))
    }


def test_twenty_kills_at_random_moments_then_a_full_run(
    news_site: ServedSite, tmp_path: Path
) -> None:
    news_site.server.delay = 0.03
    sources = news_site.site.source_toml(news_site.server.base_url, recrawl_after_days="0")
    rng = random.Random(20261123)
    written_before_kills: set[bytes] = set()
    kills = attempts = 0
    while kills < KILLS and attempts < 3 * KILLS:
        attempts += 1
        seen = len(news_site.server.paths())
        process = start_crawl(tmp_path, sources)
        target = seen + rng.randint(1, 8)
        deadline = time.monotonic() + 60
        while (
            len(news_site.server.paths()) < target
            and process.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
        written_before_kills |= whole_record_ids(tmp_path / "data" / "archive")
    assert kills == KILLS

    result = crawl(tmp_path, sources)
    assert result.returncode == 0, result.log
    assert not list(result.archive.glob("*.open"))
    assert warcio_check(result.warc_files()) == ""
    assert written_before_kills <= final_record_ids(result.warc_files())  # no whole record lost
    manifest = result.manifest()
    latest = {entry["canonical_url"]: entry for entry in manifest}
    expected = news_site.corpus_urls()
    assert set(latest) == expected
    assert len({entry["file"] for entry in latest.values()}) == len(expected)  # every article once
    assert sorted({entry["file"] for entry in manifest}) == sorted(
        p.name for p in result.corpus.glob("*.txt")
    )
