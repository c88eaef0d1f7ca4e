"""Find article URLs in robots.txt, sitemaps, feeds and HTML pages (no Scrapy needed)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from scraper.linear import compile_linear

MAX_XML_BYTES = 50 * 1024 * 1024
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")

_SAFE_XML_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "recover": True,
    "remove_comments": True,
}
_SAFE_XML = etree.XMLParser(**_SAFE_XML_OPTIONS)
_STREAM_CHUNK = 64 * 1024
# lxml refuses text that still declares its encoding.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass(frozen=True)
class Entry:
    """A URL found in a feed or sitemap, with its date when given."""

    url: str
    modified: datetime | None = None


@dataclass
class Sitemap:
    """A parsed sitemap: child sitemaps (index) and page entries (urlset).

    ``refused`` counts what was left out as hostile or broken: entity declarations
    (a sitemap needs none; a billion-laughs one declares nested ones) and entries
    whose ``<loc>`` used an entity no one declared.
    """

    sitemaps: list[Entry]
    pages: list[Entry]
    refused: int = 0


def sitemaps_from_robots(text: str, base_url: str) -> list[str]:
    """Return the ``Sitemap:`` URLs of a robots.txt.

    Not ``scrapy.utils.sitemap.sitemap_urls_from_robots``, which reads ``Sitemap :`` (a space
    before the colon) as no sitemap and an empty ``Sitemap:`` line as the robots.txt URL itself.
    """
    found = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            found.append(urljoin(base_url, value.strip()))
    return found


def parse_date(value: str | None) -> datetime | None:
    """Parse a W3C (ISO 8601) or RFC 822 date into UTC; naive dates are taken as UTC."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if not parsed.tzinfo:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # a year 9999 date, past the end of the calendar once in UTC
        return None


def _maybe_gunzip(body: bytes) -> tuple[bytes, bool]:
    """Inflate a gzipped body, at most ``MAX_XML_BYTES``; a corrupt or cut gzip stream gives
    nothing. With whether it inflates past ``MAX_XML_BYTES`` (only those were read).

    Not ``scrapy.utils.gz.gunzip(max_size=)``: past the limit it raises where we read the first
    ``MAX_XML_BYTES``, and it returns what a cut stream gave where we take nothing from it.
    """
    if body[:2] != b"\x1f\x8b":
        return body, False
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_XML_BYTES)
    except zlib.error:
        return b"", False
    if inflater.eof:
        return data, False
    return (data, True) if len(data) == MAX_XML_BYTES else (b"", False)


def _xml_root(body: bytes) -> tuple[etree._Element | None, int, bool]:
    """The defused document's root element (``None``: no XML), the entity declarations
    dropped (see :func:`_defused`) and whether it inflates past ``MAX_XML_BYTES``."""
    data, cut = _maybe_gunzip(body)
    if not data.strip():
        return None, 0, cut
    data, refused = _defused(data)
    try:
        return etree.fromstring(data, parser=_SAFE_XML), refused, cut
    except etree.XMLSyntaxError:
        return None, refused, cut


@lru_cache(maxsize=256)
def _local_name(tag: str) -> str:
    return etree.QName(tag).localname.lower()


def _local(tag: object) -> str:
    """The lower-case local name of a tag; "" for a comment or processing instruction.

    Remembered by tag: a sitemap of thousands of entries has a dozen tags, and a QName
    costs a microsecond and a half for each of its elements.
    """
    return _local_name(tag) if isinstance(tag, str) else ""


def _child_texts(element: etree._Element, *names: str) -> dict[str, str]:
    """The text of the first descendant with text of each of ``names`` found, in one pass."""
    found: dict[str, str] = {}
    for child in element.iter():
        name = _local(child.tag)
        if name in names and name not in found and child.text and child.text.strip():
            found[name] = child.text.strip()
    return found


def _child_text(element: etree._Element, *names: str) -> str | None:
    """Return the text of the first descendant named ``names[0]``, else ``names[1]``..."""
    found = _child_texts(element, *names)
    return next((found[name] for name in names if name in found), None)


def _streamed(data: bytes) -> Iterator[etree._Element]:
    """The document's root as soon as it opens, then each child of the root once parsed.

    A child is cleared and dropped once the caller is done with it, so the tree holds
    at most one chunk's worth of children: a sitemap of 50,000 URLs never stands in
    memory whole.
    """
    parser = etree.XMLPullParser(events=("start", "end"), **_SAFE_XML_OPTIONS)
    root: etree._Element | None = None

    def parsed() -> Iterator[etree._Element]:
        nonlocal root
        for event, element in parser.read_events():
            if root is None:
                root = element
                yield root
            elif event == "end" and element.getparent() is root:
                yield element
                element.clear()
                while element.getprevious() is not None:
                    del root[0]

    for offset in range(0, len(data), _STREAM_CHUNK):
        parser.feed(data[offset : offset + _STREAM_CHUNK])
        yield from parsed()
    parser.close()
    yield from parsed()


_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>)?(?:\s|<!--.*?-->)*", re.DOTALL)
_DOCTYPE = re.compile(rb"<!DOCTYPE\b(?:[^\[>]|\[.*?\])*>", re.DOTALL | re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\b", re.IGNORECASE)
_BARE_AMPERSAND = re.compile(rb"&(?!#[0-9]+;|#x[0-9a-fA-F]+;|[A-Za-z_:][\w.:-]*;)")
_NAMED_REFERENCE = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)[A-Za-z_:][\w.:-]*;")
_UNRESOLVED = "\ufffd"


def _defused(data: bytes) -> tuple[bytes, int]:
    """The document without its DTD, with bare ``&`` escaped and other entities marked unresolved.

    Returns it with the number of entity declarations dropped. A ``<loc>`` such as
    ``?a=1&b=2`` (a common mistake) then reads as written instead of ``?a=1=2``.
    """
    prolog = _PROLOG.match(data)
    assert prolog is not None  # every part of _PROLOG is optional
    doctype = _DOCTYPE.match(data, prolog.end())  # only before the root element
    declared = 0
    if doctype is not None:
        declared = len(_ENTITY_DECLARATION.findall(doctype.group()))
        data = data[: doctype.start()] + data[doctype.end() :]
    data = _BARE_AMPERSAND.sub(b"&amp;", data)
    return _NAMED_REFERENCE.sub(b"&#xFFFD;", data), declared


class SitemapStream:
    """A sitemap being read: its ``kind`` (``sitemapindex`` or ``urlset``), then its entries
    one at a time as the stream is parsed. ``refused`` counts, so far, the entity declarations
    dropped and the entries left out for using an entity no one declared; ``cut``, whether it
    inflates past ``MAX_XML_BYTES``, of which only the first were read."""

    def __init__(
        self,
        kind: str,
        elements: Iterator[etree._Element],
        base_url: str,
        refused: int,
        cut: bool = False,
    ) -> None:
        self.kind = kind
        self.refused = refused
        self.cut = cut
        self._elements = elements
        self._base_url = base_url

    def __iter__(self) -> Iterator[Entry]:
        try:
            for element in self._elements:
                if _local(element.tag) not in ("sitemap", "url"):
                    continue
                texts = _child_texts(element, "loc", "publication_date", "lastmod")
                loc = texts.get("loc")
                if loc and _UNRESOLVED in loc:
                    self.refused += 1
                elif loc:
                    modified = parse_date(texts.get("publication_date") or texts.get("lastmod"))
                    yield Entry(urljoin(self._base_url, loc), modified)
        except etree.XMLSyntaxError:
            return


def iter_sitemap(body: bytes, base_url: str) -> SitemapStream | None:
    """A sitemap index or urlset (plain or gzipped, Google News dates read) whose entries are
    read from the stream when asked for; ``None`` if it is not a sitemap.

    Not ``scrapy.utils.sitemap.Sitemap``, though it streams too: it reads only the direct
    children of ``<url>``, so a Google News ``<news:publication_date>`` (inside ``<news:news>``)
    would need its private ``_process_sitemap_element`` overridden; it takes the last ``<loc>``,
    even an empty one, where we take the first with text; and the defusing (DTD dropped and its
    entity declarations counted, a bare ``&`` kept, undeclared entities refused) stays ours.
    """
    data, cut = _maybe_gunzip(body)
    if not data.strip():
        return None
    data, refused = _defused(data)
    elements = _streamed(data)
    try:
        kind = _local(next(elements).tag)
    except (StopIteration, etree.XMLSyntaxError):
        return None
    if kind not in ("sitemapindex", "urlset"):
        return None
    return SitemapStream(kind, elements, base_url, refused, cut)


def parse_sitemap(body: bytes, base_url: str) -> Sitemap | None:
    """Parse a sitemap index or urlset whole (see ``iter_sitemap``)."""
    stream = iter_sitemap(body, base_url)
    if stream is None:
        return None
    found = list(stream)
    if stream.kind == "sitemapindex":
        return Sitemap(sitemaps=found, pages=[], refused=stream.refused)
    return Sitemap(sitemaps=[], pages=found, refused=stream.refused)


@dataclass(frozen=True)
class Feed:
    """A feed's items, the entity declarations its DTD made that were dropped unread, and
    whether it inflates past ``MAX_XML_BYTES`` (only the items in those were read)."""

    entries: list[Entry]
    refused: int = 0
    cut: bool = False


def parse_feed(body: bytes, base_url: str) -> list[Entry] | None:
    """Return the items of an RSS 2.0, RSS 1.0 or Atom feed; ``None`` if not a feed."""
    feed = read_feed(body, base_url)
    return None if feed is None else feed.entries


def read_feed(body: bytes, base_url: str) -> Feed | None:
    """The items of an RSS 2.0, RSS 1.0 or Atom feed, read as a sitemap is (a DTD dropped, its
    entities left unresolved); ``None`` if not a feed."""
    root, refused, cut = _xml_root(body)
    if root is None:
        return None
    entries = _feed_entries(root, base_url)
    if entries is None:
        return None
    # An entity in a link leaves it unknown, as in a sitemap's <loc>: the item is left out.
    kept = [entry for entry in entries if _UNRESOLVED not in entry.url]
    return Feed(kept, refused + len(entries) - len(kept), cut)


def _feed_entries(root: etree._Element, base_url: str) -> list[Entry] | None:
    kind = _local(root.tag)
    entries = []
    if kind in ("rss", "rdf"):
        for item in root.iter():
            if _local(item.tag) != "item":
                continue
            texts = _child_texts(item, "link", "pubdate", "date", "updated")
            link = texts.get("link") or _guid_link(item)
            if link:
                date = texts.get("pubdate") or texts.get("date") or texts.get("updated")
                entries.append(Entry(urljoin(base_url, link), parse_date(date)))
        return entries
    if kind == "feed":
        for item in root:
            if _local(item.tag) != "entry":
                continue
            link = _atom_link(item)
            if link:
                date = _child_text(item, "published", "updated")
                entries.append(Entry(urljoin(base_url, link), parse_date(date)))
        return entries
    return None


def _guid_link(item: etree._Element) -> str | None:
    for child in item:
        if _local(child.tag) == "guid" and child.get("isPermaLink", "true") != "false":
            text = (child.text or "").strip()
            return text if text.startswith("http") else None
    return None


def _atom_link(entry: etree._Element) -> str | None:
    links = [child for child in entry if _local(child.tag) == "link" and child.get("href")]
    for link in links:
        if link.get("rel", "alternate") == "alternate":
            return link.get("href")
    return links[0].get("href") if links else None


def parse_html(
    body: bytes | str, base_url: str, encoding: str | None = None
) -> lxml.html.HtmlElement | None:
    """Parse an HTML page with links made absolute; ``None`` if it is not HTML.

    ``encoding`` (the response's, from its header or markup) decodes ``body``; without it
    lxml guesses from the markup alone, and takes UTF-8 for Latin-1 when only the
    HTTP header names the charset.
    """
    if not body or not body.strip():
        return None
    if encoding and isinstance(body, bytes):
        try:
            body = _XML_DECLARATION.sub("", body.decode(encoding, errors="replace"), count=1)
        except LookupError:
            pass
    try:
        tree = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None
    tree.make_links_absolute(base_url, resolve_base_href=True, handle_failures="discard")
    return tree


def feed_links(tree: lxml.html.HtmlElement) -> list[str]:
    """Return the feeds a page announces with ``<link rel="alternate">``."""
    found = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES and link.get("href"):
            found.append(link.get("href"))
    return found


def page_links(tree: lxml.html.HtmlElement) -> Iterator[str]:
    """Yield the http(s) targets of the page's ``<a href>`` links, in order."""
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href.startswith(("http://", "https://")):
            yield href


def next_page(tree: lxml.html.HtmlElement) -> str | None:
    """Return the ``rel="next"`` pagination link of a page, if any."""
    for element in tree.iter("link", "a"):
        if "next" in (element.get("rel") or "").lower().split() and element.get("href"):
            return element.get("href")
    return None


# A path that looks like an article: a date, a long numeric id, or a slug of 4+ words
# (letters, digits or _ in any script: RE2's \w is ASCII only).
_WORD = r"[\p{L}\p{N}_]+"
DEFAULT_ARTICLE_PATH = compile_linear(
    rf"/(19|20)\d\d[/-]\d\d?[/-]|/\d{{5,}}(?:[/.-]|$)|/[^/?#]*{_WORD}-{_WORD}-{_WORD}-{_WORD}[^/?#]*/?(?:$|\?)"
)


_NAVIGATION = (
    "//nav//a | //header//a | //*[@role='navigation']//a | //*[contains(@class, 'menu')]//a"
)
_FURNITURE = _NAVIGATION + " | //footer//a | //*[@role='contentinfo']//a"


def _hrefs(tree: lxml.html.HtmlElement, xpath: str) -> list[str]:
    found: dict[str, None] = {}
    for anchor in tree.xpath(xpath):
        href = (anchor.get("href") or "").strip()
        if href.startswith(("http://", "https://")):
            found[href] = None
    return list(found)


def navigation_links(tree: lxml.html.HtmlElement) -> list[str]:
    """The links of a page's menus: ``<nav>``, ``<header>``, role=navigation, class *menu*."""
    return _hrefs(tree, _NAVIGATION)


def furniture_links(tree: lxml.html.HtmlElement) -> list[str]:
    """The links of a page's menus and footer: never articles."""
    return _hrefs(tree, _FURNITURE)
