"""The one revisit resolver: its target, its originals, and the readers that use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.capture import read_capture
from archive.cdxj import IndexEntry
from archive.pages import iter_pages
from archive.revisits import RevisitTarget, index_originals, read_original, resolve
from archive.writer import WarcWriter
from tests.test_lookup import archive_of, response, revisit

URL = "http://example.com/a"


def write_revisited(writer: WarcWriter) -> None:
    original = response(writer, URL, b"first")
    revisit(writer, URL, 200, original, [("Content-Type", "text/html"), ("ETag", '"2"')])


class Only:
    """Originals of the test's own: every revisit stands for the record at one place."""

    def __init__(self, place: tuple[Path, int] | None) -> None:
        self.place = place
        self.asked: list[RevisitTarget] = []

    def locate(self, target: RevisitTarget) -> tuple[Path, int] | None:
        self.asked.append(target)
        return self.place


def test_the_target_is_what_the_revisit_names(tmp_path: Path) -> None:
    archive_of(tmp_path, write_revisited).close()
    (path,) = tmp_path.glob("*.warc.gz")
    pages = list(iter_pages([path]))
    _, headers = read_capture(path, int(pages[1].location["offset"]))
    target = RevisitTarget.of(headers)
    assert target.refers_to == pages[0].location["record_id"]
    assert (target.url, target.original_uri) == (URL, URL)
    assert target.refers_to_date == pages[0].date and target.date == pages[1].date
    assert target.digest.startswith("sha1:")


def test_resolve_gives_the_revisit_the_payload_of_what_originals_locate(tmp_path: Path) -> None:
    archive_of(tmp_path, write_revisited).close()
    (path,) = tmp_path.glob("*.warc.gz")
    first, second = iter_pages([path])
    page, headers = read_capture(path, int(second.location["offset"]))
    assert page.payload == b""
    originals = Only((path, int(first.location["offset"])))
    original = resolve(page, RevisitTarget.of(headers), originals)
    assert original is not None and original.payload == b"first"
    assert (page.payload, page.revisit_of) == (b"first", first.location["record_id"])
    assert page.header("ETag") == '"2"'  # the revisit keeps its own head
    assert resolve(page, RevisitTarget.of(headers), Only(None)) is None


def test_a_revisit_is_no_original(tmp_path: Path) -> None:
    archive_of(tmp_path, write_revisited).close()
    (path,) = tmp_path.glob("*.warc.gz")
    _, second = iter_pages([path])
    with pytest.raises(ValueError, match="a revisit record, not the full capture"):
        read_original(path, int(second.location["offset"]))


def test_the_stream_and_the_index_resolve_a_revisit_alike(tmp_path: Path) -> None:
    index = archive_of(tmp_path, write_revisited)
    from_index = index.page(URL)
    index.close()
    from_stream = list(iter_pages(tmp_path.glob("*.warc.gz")))[-1]
    assert from_index is not None
    assert (from_index.payload, from_index.revisit_of) == (
        from_stream.payload,
        from_stream.revisit_of,
    )
    assert from_stream.payload == b"first"


def test_the_originals_in_an_index_are_full_captures_of_the_digest_not_after_the_revisit() -> None:
    def entry(stamp: str, digest: str, mime: str = "text/html") -> IndexEntry:
        return IndexEntry(
            "test,a)/", stamp, {"url": "http://a.test/", "mime": mime, "digest": digest}
        )

    before, same_second = entry("20260101000000", "sha1:A"), entry("20260103000000", "sha1:A")
    other = entry("20260102000000", "sha1:B")
    revisit = entry("20260102000000", "sha1:A", "warc/revisit")
    after = entry("20260104000000", "sha1:A")
    found = index_originals(
        [before, other, revisit, same_second, after], "sha1:A", "20260103000000"
    )
    assert found == [before, same_second]
