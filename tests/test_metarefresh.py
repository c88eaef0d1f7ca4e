"""HeadMetaRefreshMiddleware: Scrapy's meta refresh answers, without decoding whole pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler

from scraper.downloadermiddlewares.metarefresh import (
    HEAD_BYTES,
    HeadMetaRefreshMiddleware,
    spells_ascii_in_bytes,
)
from sitefixture.inprocess import project_crawler

BASE = "https://a.example"
SOURCES = f'[[source]]\nname = "a"\nurl = "{BASE}/"\n'
FILLER = "<p>Ünïcode paragraph text, long enough to matter.</p>\n" * 2000  # ~100 KB


class Watched(HtmlResponse):
    """An HTML response that notes how many bytes each decoding of it (``text``) covered."""

    decoded: ClassVar[list[int]] = []

    @property
    def text(self) -> str:
        Watched.decoded.append(len(self.body))
        return super().text


def page(head: str, *, charset: str | None = "utf-8", body: str = FILLER) -> bytes:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<html><head>{meta}{head}</head><body>{body}</body></html>".encode()


PAGES = {
    "refresh": page('<meta http-equiv="refresh" content="0; url=/moved">'),
    "relative to base": page('<base href="/dir/"><meta http-equiv="refresh" content="1;URL=next">'),
    "too slow": page('<meta http-equiv="refresh" content="3600; url=/later">'),
    "in noscript": page('<noscript><meta http-equiv="refresh" content="0; url=/js"></noscript>'),
    "none": page(""),
    "short": page('<meta http-equiv="refresh" content="0; url=/short">', body="<p>x</p>"),
    "undeclared": page('<meta http-equiv="refresh" content="0; url=/u">', charset=None),
    "undeclared, none": page("", charset=None),
    "undeclared latin-1": page('<meta http-equiv="refresh" content="0; url=/l">', charset=None)
    .decode()
    .encode("latin-1"),
    "undeclared latin-1, none": page("", charset=None).decode().encode("latin-1"),
    "header charset": page('<meta http-equiv="refresh" content="0; url=/h">', charset=None),
    "upper case": page('<META HTTP-EQUIV="REFRESH" CONTENT="0; URL=/upper">'),
    "utf-16": (
        '\ufeff<html><head><meta http-equiv="refresh" content="0; url=/sixteen"></head>'
        f"<body>{FILLER}</body></html>"
    ).encode("utf-16-le"),
    # ESC ( B is nothing in ISO-2022-JP: the bytes "re", the escape, "fresh" say "refresh"
    "escaped": page(
        '<meta http-equiv="re\x1b(Bfresh" content="0; url=/escaped">',
        charset="iso-2022-jp",
        body="<p>Plain text.</p>" * 5000,
    ),
}


def answer(middleware: Any, name: str) -> tuple[str, Any]:
    request = Request(BASE + "/story", meta={"source": "a"})
    headers = {"Content-Type": "text/html; charset=utf-8"} if name == "header charset" else {}
    response = Watched(BASE + "/story", body=PAGES[name], headers=headers, request=request)
    result = middleware.process_response(request, response)
    if isinstance(result, Response):
        assert result is response  # the whole page goes on, not its head
        return "response", None
    return "request", (result.url, result.meta.get("redirect_urls"))


@pytest.mark.parametrize("name", PAGES)
def test_the_answer_is_scrapy_s(tmp_path: Path, name: str) -> None:
    crawler = project_crawler(Spider, SOURCES, tmp_path)
    ours = answer(build_from_crawler(HeadMetaRefreshMiddleware, crawler), name)
    assert ours == answer(build_from_crawler(MetaRefreshMiddleware, crawler), name)
    if name == "refresh":
        assert ours == ("request", (BASE + "/moved", [BASE + "/story"]))


def test_a_long_page_that_declares_its_encoding_is_not_decoded_whole(tmp_path: Path) -> None:
    crawler = project_crawler(Spider, SOURCES, tmp_path)
    middleware = build_from_crawler(HeadMetaRefreshMiddleware, crawler)
    Watched.decoded.clear()
    for name in ("refresh", "none", "header charset"):
        answer(middleware, name)
    assert Watched.decoded and max(Watched.decoded) <= HEAD_BYTES
    assert len(PAGES["none"]) > 2 * HEAD_BYTES


def test_a_page_that_cannot_hold_the_tag_is_not_decoded_at_all(tmp_path: Path) -> None:
    crawler = project_crawler(Spider, SOURCES, tmp_path)
    middleware = build_from_crawler(HeadMetaRefreshMiddleware, crawler)
    decoded = {}
    names = ("none", "header charset", "short", "undeclared, none", "undeclared latin-1, none")
    for name in names:
        Watched.decoded.clear()
        answer(middleware, name)
        decoded[name] = set(Watched.decoded)
    assert decoded == {
        "none": set(),
        "header charset": {HEAD_BYTES},
        "short": {len(PAGES["short"])},
        # UTF-8 that declares nothing: Scrapy would read it as UTF-8 too
        "undeclared, none": set(),
        # not UTF-8: what Scrapy would read it as is charset-normalizer's guess, made whole
        "undeclared latin-1, none": {len(PAGES["undeclared latin-1, none"])},
    }


@pytest.mark.parametrize(
    ("encoding", "spells"),
    [
        ("utf-8", True),
        ("windows-1252", True),
        ("koi8-r", True),
        ("shift_jis", True),
        ("utf-16", False),
        ("utf-16-le", False),
        ("iso-2022-jp", False),
        ("hz", False),
        ("no-such-encoding", False),
    ],
)
def test_which_encodings_spell_ascii_in_bytes(encoding: str, spells: bool) -> None:
    assert spells_ascii_in_bytes(encoding) is spells
