"""The index pywb replays from: a 304 revisit points at the capture it stands for."""

from __future__ import annotations

from archive.cdxj import IndexEntry
from archive.replayindex import resolved


def _entry(
    timestamp: str, status: str, digest: str, offset: str, mime: str = "text/html"
) -> IndexEntry:
    fields = {"url": "http://a.test/", "mime": mime, "status": status, "digest": digest}
    fields |= {"length": "100", "offset": offset, "filename": f"f{offset}.warc.gz"}
    return IndexEntry("test,a)/", timestamp, fields)


def test_a_304_revisit_points_at_the_latest_earlier_original() -> None:
    old = _entry("20260101000000", "200", "sha1:A", "0")
    newer = _entry("20260102000000", "200", "sha1:A", "500")
    other = _entry("20260103000000", "200", "sha1:B", "900")
    not_modified = _entry("20260104000000", "304", "sha1:A", "1400", mime="warc/revisit")
    identical = _entry("20260105000000", "200", "sha1:B", "1900", mime="warc/revisit")
    out = resolved([old, newer, other, not_modified, identical])
    assert out[:3] == [old, newer, other] and out[4] == identical
    moved = out[3]
    assert (moved.urlkey, moved.timestamp, moved.url) == (
        not_modified.urlkey,
        not_modified.timestamp,
        not_modified.url,
    )
    assert {k: moved.fields[k] for k in ("status", "mime", "offset", "filename")} == {
        "status": "200",
        "mime": "text/html",
        "offset": "500",
        "filename": "f500.warc.gz",
    }


def test_a_304_revisit_without_its_original_stays() -> None:
    lonely = _entry("20260104000000", "304", "sha1:A", "1400", mime="warc/revisit")
    assert resolved([lonely]) == [lonely]


def test_a_304_revisit_never_points_at_a_later_capture_or_another_revisit() -> None:
    earlier_revisit = _entry("20260102000000", "304", "sha1:A", "500", mime="warc/revisit")
    not_modified = _entry("20260104000000", "304", "sha1:A", "1400", mime="warc/revisit")
    later = _entry("20260105000000", "200", "sha1:A", "1900")
    entries = [earlier_revisit, not_modified, later]
    assert resolved(entries) == entries


def test_a_304_revisit_points_at_the_latest_capture_of_its_url_key_whatever_its_url() -> None:
    own = _entry("20260101000000", "200", "sha1:A", "0")
    other = _entry("20260102000000", "200", "sha1:A", "500")
    other.fields["url"] = "http://www.a.test/"  # the same URL key: the index cannot tell
    not_modified = _entry("20260104000000", "304", "sha1:A", "1400", mime="warc/revisit")
    assert resolved([own, other, not_modified])[2].fields["offset"] == "500"
