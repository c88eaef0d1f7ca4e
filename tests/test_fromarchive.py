"""A replay's extraction worker reads an archived page and judges it as the live crawl did."""

from __future__ import annotations

from pathlib import Path

from archive.http import request_block, response_head
from archive.pages import iter_pages
from archive.reader import archive_files
from archive.writer import WarcWriter
from corpus.extract import DEFAULT_OPTIONS
from scraper.fromarchive import ArchivedBody, extract_archived

STORY = (
    b"<html><body><article><p>" + b"A story of some length. " * 40 + b"</p></article></body></html>"
)
PAGES = {
    "story": ("text/html; charset=utf-8", STORY),
    "report": ("application/pdf", b"%PDF-1.7 not a page"),
}


def located(folder: Path) -> dict[str, tuple[str, ArchivedBody]]:
    """Each page of ``PAGES`` archived in ``folder``, by name: its URL and where its payload is."""
    writer = WarcWriter(folder)
    for name, (kind, body) in PAGES.items():
        url = f"https://a.example/2026/{name}"
        head = response_head(200, [("Content-Type", kind)], len(body))
        response = writer.factory.response(url, head, body)
        writer.write(
            [response, writer.factory.request(url, request_block("GET", url, []), response)]
        )
    writer.close()
    found = {}
    for page in iter_pages(archive_files(folder), payloads=False):
        if page.context.kind in ("article", None) and page.payload_at is not None:
            found[page.url.rsplit("/", 1)[1]] = (page.url, page)
    return {
        name: (url, ArchivedBody(page.status, page.headers, *page.payload_at))
        for name, (url, page) in found.items()
    }


def cut(body: ArchivedBody) -> ArchivedBody:
    return ArchivedBody(
        body.status, body.headers, body.path, body.offset, body.length, truncated=True
    )


def test_a_cut_record_is_left_out_as_the_live_crawl_left_it_out(tmp_path: Path) -> None:
    pages = located(tmp_path)
    story_url, story = pages["story"]
    whole = extract_archived(story_url, story, DEFAULT_OPTIONS)
    assert whole.unfit is None and whole.undecodable is None and whole.article is not None
    assert extract_archived(story_url, cut(story), DEFAULT_OPTIONS).unfit == "truncated"
    report_url, report = pages["report"]
    assert extract_archived(report_url, report, DEFAULT_OPTIONS).unfit == "not-html"
    # The live crawl asks whether a page is HTML before whether it was cut.
    assert extract_archived(report_url, cut(report), DEFAULT_OPTIONS).unfit == "not-html"
