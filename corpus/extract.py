"""Turn an HTML page into an :class:`Article`: trafilatura, structured data, boilerplate rules.

The steps, each general rather than tuned to a site:

1. parse once; read JSON-LD, Open Graph and meta tags (:mod:`corpus.metadata`);
2. narrow the tree with the source's CSS selectors and drop captions and picture
   figures (:func:`corpus.boilerplate.narrow`);
3. extract the body with trafilatura (balanced focus, no metadata pass);
4. drop furniture lines (:func:`corpus.boilerplate.clean_lines`) and, when the
   page declares an ``articleBody``, lines that share nothing with it;
5. check the result (:mod:`corpus.quality`): an empty or truncated extraction is
   retried with the declared ``articleBody`` or trafilatura's recall focus, and
   a paywall stub or cookie wall is marked so the filters leave it out; a page
   with no text in its markup is read from the article HTML its scripts carry
   (:mod:`corpus.embedded`); when the cleaning kept less than half of
   trafilatura's words, trafilatura's text is kept (:func:`corpus.quality.lost_text`);
   the standfirst the page shows and declares as its description leads the text
   (:mod:`corpus.standfirst`);
6. headline, authors and date from structured data, trafilatura's metadata
   only for what is missing; language identified on the text.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import numpy
import py3langid
import trafilatura
from htmldate import find_date
from lxml.etree import ParserError
from trafilatura.metadata import extract_title
from trafilatura.settings import Document

from corpus import quality
from corpus.article import Article, normalize, word_count
from corpus.authors import is_publisher, looks_like_full_name, split_authors, without_affiliations
from corpus.boilerplate import PageSignals, clean_lines, furniture_rule, narrow
from corpus.bylines import bold_byline, labeled_byline, linked_authors, marked_byline
from corpus.embedded import embedded_document
from corpus.metadata import (
    StructuredData,
    choose_headline,
    clean_headline,
    iso_datetime,
    page_kind,
    read_structured_data,
)
from corpus.options import ExtractionOptions
from corpus.standfirst import shown_standfirst, with_standfirst
from corpus.urls import canonicalize, same_site

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Control characters no HTML text may hold: left in, they make trafilatura discard the whole page.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Codecs that map the bytes 0x00-0x7F to the same code points, and no other byte to one of them.
_BYTE_TRANSPARENT = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8",
        "ascii",
        "latin-1",
        "iso8859-15",
        "cp1250",
        "cp1251",
        "cp1252",
        "cp1253",
        "cp1254",
        "cp1256",
        "cp1257",
        "iso8859-2",
        "iso8859-5",
        "iso8859-7",
        "iso8859-9",
        "koi8-r",
        "koi8-u",
    )
)
# Past this share of control characters a body is binary, not a text document (random bytes:
# 11 %; the most among the 1,248 real pages of our two sets: 0.01 %). Replacement characters do
# not count: a page whose declared encoding is wrong is still text.
_MAX_NOT_TEXT = 0.01
# Comments and processing instructions are never text: parsed out, as trafilatura's own parser does.
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
# lxml.html picks each element's class in Python (forms, inputs, labels...), once for every
# element any walk meets: trafilatura's, htmldate's and ours. Neither they nor we use those
# classes, and one class picked in C saves 0.9 ms a page (32.0 -> 31.1 ms over both sets'
# 1,248 pages, interleaved; the same articles from every page).
_PARSER.set_element_class_lookup(
    lxml.etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_CHARSET_BYTES = 4096
# What browsers assume for an undeclared page that is not UTF-8.
_FALLBACK_ENCODING = "cp1252"
_LANGUAGE_MIN_WORDS = 20
DEFAULT_OPTIONS = ExtractionOptions()
# py3langid is as sure on the first few hundred characters as on the whole text.
_LANGUAGE_SAMPLE_CHARS = 400


def decode(html: bytes, encoding: str | None = None) -> str:
    """``html`` as text: by ``encoding``, else UTF-8 when it decodes, else the charset it declares."""
    return _decoded(html, encoding)[0]


def _decoded(html: bytes, encoding: str | None = None) -> tuple[str, str]:
    """``html`` as text (see :func:`decode`) and the name of the codec that decoded it."""
    if encoding:
        return html.decode(encoding, "replace"), encoding
    try:
        return html.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(html[:_CHARSET_BYTES])
    name = declared.group(1).decode("ascii") if declared else _FALLBACK_ENCODING
    try:
        return html.decode(name, "replace"), name
    except LookupError:
        return html.decode(_FALLBACK_ENCODING, "replace"), _FALLBACK_ENCODING


def _may_hold_controls(html: bytes, codec: str) -> bool:
    """Whether the text ``codec`` decodes from ``html`` can hold a control character.

    Counting bytes costs a fifth of searching the text (0.13 against 0.66 ms a page on
    evalpages). The codecs of :data:`_BYTE_TRANSPARENT` give a control character only for its
    own byte, and U+FFFE or U+FFFF only from their UTF-8 bytes; others take the text search.
    """
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return True
    if name not in _BYTE_TRANSPARENT:
        return True
    octets = numpy.frombuffer(html, numpy.uint8)
    below_space = numpy.count_nonzero(octets < 0x20)
    if below_space > sum(numpy.count_nonzero(octets == space) for space in b"\t\n\r"):
        return True
    # EF BF BE and EF BF BF: U+FFFE and U+FFFF in UTF-8 (and, harmlessly, more).
    marks = (octets[:-2] == 0xEF) & (octets[1:-1] == 0xBF) & (octets[2:] >= 0xBE)
    return bool(marks.any())


def parse_html(html: bytes | str, encoding: str | None = None) -> lxml.html.HtmlElement | None:
    """Parse ``html`` decoded with ``encoding`` (see :func:`decode`); ``None`` when there is no document."""
    if isinstance(html, str):
        text, search = html, True
    else:
        text, codec = _decoded(html, encoding)
        search = _may_hold_controls(html, codec)
    text = _XML_DECLARATION.sub("", text, count=1)
    controls = 0
    if search:
        text, controls = _CONTROL_CHARACTERS.subn("", text)
    if not text.strip() or controls > _MAX_NOT_TEXT * len(text):
        return None
    try:
        return lxml.html.document_fromstring(text, parser=_PARSER)
    except (ParserError, ValueError):
        return None


def identify_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in (py3langid)."""
    if not text.strip():
        return None
    return py3langid.classify(text)[0]


def declared_language(tree: lxml.html.HtmlElement, data: StructuredData) -> str | None:
    lang = (
        data.language
        or tree.get("lang")
        or next(iter(tree.xpath("//meta[@property='og:locale']/@content")), None)
    )
    if not lang:
        return None
    return lang.replace("_", "-").split("-")[0].lower() or None


def _trafilatura_body(
    tree: lxml.html.HtmlElement, url: str, options: ExtractionOptions, recall: bool = False
) -> list[str]:
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=options.include_comments,
        include_tables=options.include_tables,
        favor_precision=options.favor_precision and not recall,
        favor_recall=recall,
        fast=options.fast,
    )
    if not isinstance(document, Document) or not document.text:  # None: nothing found
        return []
    return document.text.splitlines()


@dataclass
class Body:
    """The body lines of a page and what trafilatura itself extracted."""

    lines: list[str]
    raw: list[str]
    signals: PageSignals


def extract_body(
    tree: lxml.html.HtmlElement,
    url: str,
    data: StructuredData,
    options: ExtractionOptions = DEFAULT_OPTIONS,
) -> Body:
    """trafilatura's text of the page, cleaned of furniture and checked (see the module's steps)."""
    off = options.rules_off
    signals = PageSignals.of(tree, [data.headline, data.og_title, *data.h1], data.authors, url)
    narrowed = narrow(tree, options.body_selector, options.exclude_selectors, off)
    raw = _trafilatura_body(narrowed, url, options)
    lines = clean_lines(raw, signals, off)
    if "declared-body" not in off:
        lines = quality.keep_declared_body(lines, data.article_body, data.description)
    if quality.looks_truncated(lines, data.article_body):
        lines = quality.retry(
            lines,
            data.article_body,
            lambda: clean_lines(
                _trafilatura_body(narrowed, url, options, recall=True), signals, off
            ),
        )
    if "guard" not in off and quality.lost_text(lines, raw):
        lines = [line for line in map(normalize, raw) if line]
    if options.standfirst and "standfirst" not in off and lines:
        standfirst = shown_standfirst(narrowed, data.description)
        if standfirst and not furniture_rule(standfirst, signals, off):
            lines = with_standfirst(lines, standfirst)
    if not lines and (rendered := embedded_document(tree)) is not None:
        raw = _trafilatura_body(rendered, url, options)
        lines = clean_lines(raw, signals, off)
    return Body(lines, raw, signals)


def extract_article(
    html: bytes | str,
    url: str,
    encoding: str | None = None,
    options: ExtractionOptions = DEFAULT_OPTIONS,
) -> Article | None:
    """Extract headline, paragraphs and metadata; ``None`` when the page has no text."""
    tree = parse_html(html, encoding)
    if tree is None:
        return None
    data = read_structured_data(tree)
    body = extract_body(tree, url, data, options)
    lines, raw = body.lines, body.raw
    if not lines and not raw:
        return None
    anchors = body.signals.anchors
    article = _article(tree, url, data, lines, options.headline)
    article.extracted_words = sum(word_count(line) for line in raw)
    article.link_words = sum(word_count(n) for n in map(normalize, raw) if n in anchors)
    return article


def _authors(tree: lxml.html.HtmlElement, url: str, data: StructuredData) -> list[str]:
    """The declared authors; when they are only the publisher, the people of the byline if it names any."""
    host = urlsplit(url).hostname or ""
    declared = without_affiliations(split_authors(data.authors))
    if declared and not all(is_publisher(name, data, host) for name in declared):
        return declared
    named = bold_byline(tree) or labeled_byline(tree)
    if named:
        return named
    byline = without_affiliations(marked_byline(tree))
    found = [name for name in byline if not is_publisher(name, data, host)]
    if found and all(map(looks_like_full_name, found)):
        return found
    return linked_authors(tree) or declared or byline


def _article(
    tree: lxml.html.HtmlElement,
    url: str,
    data: StructuredData,
    lines: list[str],
    headline: str = "auto",
) -> Article:
    """Assemble the article; trafilatura and htmldate fill in only what structured data lacks."""
    authors = _authors(tree, url, data)
    published = iso_datetime(data.published) or iso_datetime(
        find_date(tree, url=url, original_date=True, extensive_search=False)
    )
    title = clean_headline(
        choose_headline(data, None if data.headline or data.h1 else extract_title(tree), headline)
    )
    if lines and title and lines[0] == title:
        lines = lines[1:]
    sample = " ".join(lines)[:_LANGUAGE_SAMPLE_CHARS]
    language = identify_language(sample) if word_count(sample) >= _LANGUAGE_MIN_WORDS else None
    canonical = urljoin(url, data.canonical_url or url)
    declared = canonical if same_site(canonical, urlsplit(url).hostname or "") else url
    return Article(
        url=url,
        title=title,
        paragraphs=lines,
        canonical_url=canonicalize(declared),
        authors=authors,
        published=published,
        language=language or declared_language(tree, data),
        sitename=data.sitename,
        page_type=page_kind(tree, data, lines),
        description=data.description,
        problem=quality.problem(lines, data.free),
    )
