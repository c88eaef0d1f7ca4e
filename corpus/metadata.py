"""Article metadata from a page's structured data: JSON-LD, Open Graph and meta tags."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from corpus.article import normalize

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "AnalysisNewsArticle",
        "AskPublicNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReportageNewsArticle",
        "ReviewNewsArticle",
        "SatiricalArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
    }
)
LISTING_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "ProfilePage"})
_MICRODATA_ARTICLE = lxml.etree.XPath(
    "//*[contains(@itemtype, 'schema.org/') and (contains(@itemtype, 'Article') or contains(@itemtype, 'BlogPosting'))]"
)
_MARKUP = re.compile(r"<(?:p|br|div|span|a|h\d|strong|em)\b", re.IGNORECASE)


@dataclass
class StructuredData:
    """What a page says about itself, each field ``None`` or empty when it does not."""

    headline: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    language: str | None = None
    sitename: str | None = None
    description: str | None = None
    article_body: str | None = None
    og_title: str | None = None
    title: str | None = None  # the <title> element
    h1: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    publishers: list[str] = field(
        default_factory=list
    )  # site and publisher names, to tell from authors
    free: bool = True
    is_article: bool = False  # JSON-LD, Open Graph or microdata say "article"
    declares_article: bool = False  # a JSON-LD article that is not an item of a list
    declares_listing: bool = False  # a JSON-LD collection, list or search results page


def clean(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return normalize(html.unescape(text)) or None


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    values = kind if isinstance(kind, list) else [kind]
    return {value.rsplit("/", 1)[-1] for value in values if isinstance(value, str)}


def _walk(node: Any, listed: bool = False) -> Iterator[tuple[dict[str, Any], bool]]:
    """Each object with whether it is an item of a list (``itemListElement``)."""
    if isinstance(node, list):
        for child in node:
            yield from _walk(child, listed)
    elif isinstance(node, dict):
        yield node, listed
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in node:
                yield from _walk(node[key], listed or key == "itemListElement")


def _json_ld(tree: lxml.html.HtmlElement) -> Iterator[tuple[dict[str, Any], bool]]:
    for script in tree.xpath('//script[contains(@type, "ld+json")]'):
        try:
            data = json.loads(script.text or "", strict=False)
            objects = list(_walk(data))
        except (ValueError, RecursionError):  # not JSON, or nested deeper than any real metadata
            continue
        yield from objects


def json_ld_objects(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page, ``@graph`` members included; bad scripts skipped."""
    return (node for node, _ in _json_ld(tree))


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        value = value.get("name")
        if isinstance(value, list):
            return _names(value)
    name = clean(value)
    return [name] if name and not name.startswith(("http://", "https://")) else []


def _plain_text(body: Any) -> str | None:
    """A declared ``articleBody``, its markup removed when a site put HTML in it."""
    if not isinstance(body, str) or not body.strip():
        return None
    body = html.unescape(body)
    if _MARKUP.search(body):
        fragment = lxml.html.fragment_fromstring(body, create_parent="div")
        for block in fragment.iter("p", "br", "h2", "h3", "li"):
            block.tail = "\n" + (block.tail or "")
        body = fragment.text_content()
    return body


def meta_contents(tree: lxml.html.HtmlElement) -> dict[str, list[str]]:
    """The ``content`` of every ``<meta>``, by its ``property`` and its ``name``, in page order."""
    contents: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if content is None:
            continue
        for key in {element.get("property"), element.get("name")}:
            if key is not None:
                contents.setdefault(key, []).append(content)
    return contents


def _meta(contents: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        for value in contents.get(key, ()):
            if text := clean(value):
                return text
    return None


def _site_names(data: StructuredData) -> set[str]:
    """The site's names: declared ones, and what the <title> has after the headline ("... | Site"),
    when the og:title is that headline or the part after the bar is the shorter one."""
    names = set(data.publishers)
    title = data.title or ""
    for separator in _SEPARATORS if title else ():
        head, _, tail = title.rpartition(separator)
        if head and (len(tail) < len(head) or _folded(head) == _folded(data.og_title or "")):
            names.add(tail)
    return {_folded(name) for name in names if name.strip()}


def _folded(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _is_logo(h1: lxml.html.HtmlElement, text: str, data: StructuredData) -> bool:
    """Whether an <h1> is the site's logo or name rather than the headline: it names the site,
    or it is a link to a homepage."""
    if _folded(text) in _site_names(data):
        return True
    return any(
        urlsplit(href).path in ("", "/") and not urlsplit(href).query
        for href in h1.xpath(".//a/@href")
    )


def read_structured_data(tree: lxml.html.HtmlElement) -> StructuredData:
    """Collect headline, authors, dates and more from JSON-LD, then Open Graph and meta tags."""
    data = StructuredData()
    metas = meta_contents(tree)
    for node, listed in _json_ld(tree):
        types = _types(node)
        data.declares_listing = data.declares_listing or bool(types & LISTING_TYPES)
        data.declares_article = data.declares_article or bool(types & ARTICLE_TYPES) and not listed
        if types & ARTICLE_TYPES and not data.is_article:
            data.is_article = True
            data.headline = clean(node.get("headline")) or clean(node.get("name"))
            data.publishers = _names(node.get("publisher"))
            data.sitename = next(iter(data.publishers), None)
            data.authors = list(dict.fromkeys(_names(node.get("author"))))
            data.published = clean(node.get("datePublished")) or clean(node.get("dateCreated"))
            data.language = clean(node.get("inLanguage"))
            data.description = clean(node.get("description"))
            data.article_body = _plain_text(node.get("articleBody"))
            data.free = str(node.get("isAccessibleForFree", True)).casefold() not in ("false", "0")
    data.og_title = _meta(metas, "og:title", "twitter:title")
    data.title = clean(next(iter(tree.xpath("//head/title/text()")), None))
    site_names = [
        name for name in (_meta(metas, "og:site_name"), _meta(metas, "application-name")) if name
    ]
    data.publishers += site_names
    data.sitename = data.sitename or next(iter(site_names), None)
    data.description = data.description or _meta(metas, "og:description", "description")
    data.published = data.published or _meta(
        metas,
        "article:published_time",
        "datePublished",
        "pubdate",
        "publishdate",
        "date",
        "dc.date",
    )
    if not data.authors:
        author = _meta(metas, "author", "article:author", "dc.creator", "sailthru.author")
        data.authors = _names(author)
    data.is_article = (
        data.is_article or _meta(metas, "og:type") == "article" or bool(_MICRODATA_ARTICLE(tree))
    )
    data.canonical_url = clean(
        next(iter(tree.xpath('//link[@rel="canonical"]/@href')), None)
    ) or _meta(metas, "og:url")
    data.h1 = [
        text
        for h in tree.iter("h1")
        if (text := clean(h.text_content())) and not _is_logo(h, text, data)
    ]
    return data


# The text spread over this many <article> elements makes a page a list of articles.
_TEASERS = 3
_ERROR = re.compile(r"(?<![\w-])404(?![\w-])")


def _blocks_holding(tree: lxml.html.HtmlElement, lines: list[str]) -> int:
    """How many outermost <article> elements hold some of ``lines``."""
    count = 0
    for block in tree.xpath("//article[not(ancestor::article)]"):
        text = normalize(block.text_content())
        count += any(line in text for line in lines)
    return count


def page_kind(tree: lxml.html.HtmlElement, data: StructuredData, lines: list[str]) -> str | None:
    """``"article"`` when the page marks itself as one article, ``"listing"`` when it declares a
    list (``CollectionPage``) or its text ``lines`` are spread over several ``<article>`` teasers,
    ``"error"`` for a page titled 404; ``None`` when it says nothing."""
    if data.declares_article:
        return "article"
    blocks = _blocks_holding(tree, lines)
    if data.declares_listing or blocks >= _TEASERS:
        return "listing"
    if not data.is_article and any(_ERROR.search(text) for text in [data.title or "", *data.h1]):
        return "error"
    return "article" if data.is_article or blocks == 1 else None


_SEPARATORS = (" | ", "｜", " - ", " – ", " — ", " · ", " * ", "：", " :: ")
# Controls that reorder or hide what a reader sees (bidi overrides, embeddings and isolates, the
# byte-order mark) and C0/C1 control characters: never part of a headline.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
# Only a bar: a leading dash opens a quote in many presses ("– Angsten vil øke").
_LEADING_SEPARATOR = re.compile(r"^[|｜·]")


def clean_headline(title: str) -> str:
    """``title`` without hidden controls; empty when all it holds is a site name after a bar."""
    visible = normalize(_HIDDEN.sub(" ", title))
    return "" if _LEADING_SEPARATOR.match(visible) else visible


def without_site_name(title: str, sitename: str | None = None) -> str:
    """``title`` without a trailing site name: the declared one, or any after a bar."""
    cut = max(((title.rfind(sep), sep) for sep in _SEPARATORS), default=(-1, ""))
    position, separator = cut
    if position < 12:
        return title
    suffix = title[position + len(separator) :].casefold().strip()
    site = (sitename or "").casefold()
    if (
        site
        and (suffix in site or site in suffix)
        or separator in (" | ", "｜")
        and len(suffix) <= 40
    ):
        return title[:position].strip()
    return title


def choose_headline(data: StructuredData, fallback: str | None = None, prefer: str = "auto") -> str:
    """The headline most of the page's declarations agree on, JSON-LD first on a tie; with ``prefer``
    "h1", "og" or "ld", the page's first <h1>, its og:title or its JSON-LD headline when it has one."""
    preferred = {"h1": next(iter(data.h1), None), "ld": data.headline}.get(prefer)
    if prefer == "og" and data.og_title:
        preferred = without_site_name(data.og_title, data.sitename)
    if preferred:
        return preferred
    declared = [data.headline, *data.h1[:3], data.og_title, fallback]
    candidates = [c for c in declared if c]
    if not candidates:
        return ""

    def same(a: str, b: str) -> bool:
        return (
            a.casefold() == b.casefold()
            or a.casefold() == without_site_name(b, data.sitename).casefold()
        )

    best = max(candidates, key=lambda c: sum(same(c, other) for other in candidates))
    if best in (data.og_title, fallback) and not any(
        same(best, c) for c in [data.headline, *data.h1] if c
    ):
        return without_site_name(best, data.sitename)
    return best


def iso_datetime(value: str | None) -> str | None:
    """``value`` as ISO 8601 (date, or date and time with its offset); ``None`` if unreadable."""
    if not value:
        return None
    text = value.strip().replace(" ", "T", 1) if len(value.strip()) > 10 else value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    if len(text) <= 10:
        return moment.date().isoformat()
    return moment.isoformat(timespec="seconds")
