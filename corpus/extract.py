"""Turn an HTML page into an :class:`Article` with trafilatura."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml.etree import ParserError

from corpus.article import Article, word_count
from corpus.urls import canonicalize, same_site

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ExtractionOptions:
    """Options passed to trafilatura; the defaults favour a clean corpus."""

    include_tables: bool = False
    include_comments: bool = False
    favor_precision: bool = True


def _normalize(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def parse_html(html: bytes | str, encoding: str | None = None) -> lxml.html.HtmlElement | None:
    """Parse ``html`` decoded with ``encoding``; ``None`` when there is no document."""
    text = html if isinstance(html, str) else html.decode(encoding or "utf-8", "replace")
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (ParserError, ValueError):
        return None


def _page_language(tree: lxml.html.HtmlElement) -> str | None:
    lang = tree.get("lang") or next(
        iter(tree.xpath("//meta[@property='og:locale']/@content")), None
    )
    if not lang:
        return None
    return lang.replace("_", "-").split("-")[0].lower() or None


def _anchor_texts(tree: lxml.html.HtmlElement) -> set[str]:
    return {_normalize(a.text_content()) for a in tree.iter("a")} - {""}


def _split_authors(author: str | None) -> list[str]:
    if not author:
        return []
    return [name.strip() for name in author.split(";") if name.strip()]


def extract_article(
    html: bytes | str,
    url: str,
    encoding: str | None = None,
    options: ExtractionOptions = ExtractionOptions(),
) -> Article | None:
    """Extract headline, paragraphs and metadata; ``None`` when nothing is found."""
    tree = parse_html(html, encoding)
    if tree is None:
        return None
    language = _page_language(tree)
    anchors = _anchor_texts(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=options.include_comments,
        include_tables=options.include_tables,
        favor_precision=options.favor_precision,
    )
    if document is None or not document.text:
        return None
    title = _normalize(document.title or "")
    paragraphs = [_normalize(line) for line in document.text.splitlines()]
    paragraphs = [line for line in paragraphs if line]
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    declared = document.url if document.url and same_site(document.url, urlsplit(url).hostname or "") else url
    return Article(
        url=url,
        title=title,
        paragraphs=paragraphs,
        canonical_url=canonicalize(declared),
        authors=_split_authors(document.author),
        published=document.date,
        language=language or document.language,
        sitename=document.sitename,
        page_type=document.pagetype,
        link_words=sum(word_count(line) for line in paragraphs if line in anchors),
    )
