"""Boilerplate that survives trafilatura: removed from the tree before, and line by line after.

Before extraction, per-source CSS selectors narrow the page to its body or drop
known blocks, and figure captions (not a gallery's, which say more than the paragraphs)
and pull quotes (a figure whose text the page says elsewhere) go; any other figure holding text stays, as text (trafilatura drops the rest).
After extraction, a line is dropped when it repeats the headline, is mostly the
text of a link to another page (related articles, "read also" lists, tag clouds,
menus; not a table of contents' link to a heading of the page, a link whose text is
a web or mail address, a table row, or a link inside a paragraph or list item that says
more than its links, unless the same text also stands alone), is a known prompt (subscribe, comment, read more,
report an error, related content, paywall, login, newsletter, ad disclosure; also as the one cell of a
table row, or as a part of a post's meta line "date | categories: … | View Comments"), an image credit,
a rights reservation or advertising disclosure ("All rights reserved", "We may receive compensation"),
a press contact's phone or fax line, a byline, dateline or reading time, or a paragraph repeated whole. Each rule has a name in
:data:`RULES`, by which the benchmark switches it off to measure what it earns.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml.cssselect import CSSSelector

from corpus.article import has_words, normalize, word_count

# A line that starts with one of these phrases is site furniture, in the languages of the corpus.
PROMPT = re.compile(
    r"^(?:"
    r"read (?:more|also|next)\b|related (?:posts|articles|stories|news)\b|more from\b|"
    r"see also\b|also read\b|you may also like|most read\b|"
    r"lesen sie (?:auch|mehr)|mehr zum thema|auch interessant|weitere artikel|"
    r"les også|läs också|læs også|à lire aussi|lire aussi|leer más\b|lee también|te puede interesar|"
    r"noticias relacionadas|leia (?:mais|também)|leggi anche|funda olunye|"
    r"(?:(?:das|dieses) (?:thema )?)?könnte (?:dich|sie|euch) auch interessieren|"
    r"you (?:might|may) also (?:like|be interested|enjoy)|"
    r"related content\b|contenido relacionado|notas relacionadas|art[íi]culos relacionados|"
    r"(?:weitere|mehr) (?:aktuelle )?(?:themen|beiträge)(?:\s+\S+){0,4}\s*:?$|top-themen\b|"
    r"empfohlene (?:beiträge|artikel)|zum weiterlesen\b|schon gelesen\b|"
    r"vous aimerez aussi|vous pourriez aussi aimer|à lire également|"
    r"more (?:on|about) this (?:topic|story)|más sobre\b|(?:ti )?potrebbe interessarti|czytaj (?:też|także|również)|"
    r"to (?:continue|keep) reading\b|to (?:view|read) the (?:full|entire|rest of the) (?:story|article)|"
    r"pour (?:lire|découvrir) la suite|pour accéder (?:en illimité|à la suite|à l'intégralité)|"
    r"pour (?:continuer|poursuivre) (?:la|votre) lecture|weiterlesen mit\b|para (?:seguir|continuar) leyendo|"
    r"already a subscriber\b|bereits abonnent|"
    r"du musst eingeloggt|you must be logged in|sie (?:sind|müssen) (?:aktuell )?(?:nicht )?eingeloggt|"
    r"(?:keine kommentare|no comments(?: yet)?)\s*(?:$|[(/.:!-])|be the first to comment|"
    r"zum newsletter anmelden|never miss (?:a story|an update|the latest)\b|"
    r"jetzt (?:zum )?newsletter|abonniere unseren newsletter|(?:sign|signing) up to our newsletter|"
    r"s'inscrire à la newsletter|inscrivez-vous|"
    r"s[ií]guenos en\b|folg(?:t|en sie) uns (?:auf|bei)\b|suivez-nous\b|"
    r"follow (?:\S+ ){1,3}on (?:google|twitter|x|facebook|instagram)\b|"
    r"\W*(?:anzeige|werbung|advertisement|sponsored|publicidad)\s*[:\-–|]|"
    r"sign up (?:for|to)\b|subscribe (?:now|to|for|today)\b|subscribers? only|suscr[ií]bete|abonnez-vous|"
    r"jetzt (?:abonnieren|testen|melden)|\d+ (?:wochen|tage|days?|weeks?) (?:kostenlos|gratis|free)|"
    r"join (?:our|the) (?:commenting|conversation|newsletter)|follow us\b|"
    r"click here\b|all comments\b|du musst dich|leave a (?:comment|reply)|passer la publicité|"
    r"fehler (?:gefunden|entdeckt)|fehler auf .{1,30} entdeckt|report an error|"
    r"(?:wie )?hat ihnen (?:dieser|der) artikel gefallen|did you (?:like|enjoy) this|share this (?:article|story)|"
    r"ihre meinung ist uns wichtig|"
    r"(?:externer inhalt|externe inhalte|empfohlener redaktioneller inhalt)(?: nicht verfügbar)?\W*$|"
    r"zur anzeige aktiviere|"
    r"klicken sie auf den (?:unteren )?button,? um den inhalt|"
    r"submit (?:a|your) letter to the editor|we want to hear (?:what you think|from you)|"
    r".{0,120}\b(?:sign up|subscribe) here\W*$|"
    r"(?:tags?|schlagwörter|themen|etiquetas|mots-clés)\s*:"
    r")",
    re.IGNORECASE,
)
# A line made of one of these words and little else is a label of site furniture.
LABEL = re.compile(
    r"^(?:related|recommended|popular|trending|comments?|kommentare?|kommentieren|ähnliche(?: artikel)?"
    r"|relacionad[oa]s|teilen|share|subscribe|abonnieren|sign up|advertisement|anzeige|werbung|publicidad"
    r"|mehr (?:lesen|dazu)|(?:kommentare|comments) (?:insgesamt|total)"
    r"|inhaltsverzeichnis|table of contents|(?:next|previous) (?:article|post|story)"
    r"|(?:nächster|vorheriger) (?:artikel|beitrag))\W*(?:\d+)?\W*$",
    re.IGNORECASE,
)
# A part of a blog post's meta line, between " | ": its categories or its comments link.
META_PART = re.compile(
    r"^(?:categor(?:y|ies|ías?)|kategorien?|catégories?|abgelegt unter|filed under|posted in)\s*:"
    r"|^(?:(?:view|leave|add|no|keine|\d+)\s+)?(?:comments?|kommentare?)(?:\s*\(?\d+\)?)?$",
    re.IGNORECASE,
)
META_LINE_WORDS = 20
# Picture agencies, as a credit after a slash names them ("Name / AFP").
_PICTURE_AGENCIES = "getty images|afp|reuters|ap|dpa|imago|epa|picture alliance|shutterstock"
# News and picture agencies, as credits after "©" and sign-offs name them.
AGENCY = rf"(?:{_PICTURE_AGENCIES}|pap|apa|keystone|efe|ansa)"
CAPTION_CREDIT = re.compile(
    r"(?:^|\b)(?:foto|photo|bild|image|picture|credit|quelle|imagen|fotografía|kuva"
    r"|copyright|titelbild|beitragsbild|bildquelle)s?\s*:\s*[^.:]{2,80}$"
    r"|^fot\.\s[^.:]{2,80}$"
    r"|^(?:abbildung|abb\.|figure|fig\.|grafik|bild|image|imagen|photo|foto)\s*\d+\s*:"
    r"|/\s*(?:" + _PICTURE_AGENCIES + r")[^.]{0,40}$"
    r"|©\s*" + AGENCY + r"\b[^.]{0,40}$"
    r"|^©",
    re.IGNORECASE,
)
# A rights reservation, anywhere in a line of fewer than RIGHTS_WORDS (a text about rights is longer).
RIGHTS = re.compile(
    r"all rights reserved|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados"
    r"|tutti i diritti riservati|materiał chroniony prawem autorskim|(?:^|\()alle angaben ohne gewähr\W*$",
    re.IGNORECASE,
)
RIGHTS_WORDS = 25
# An advertising or affiliate disclosure, anywhere in a line of fewer than DISCLOSURE_WORDS.
DISCLOSURE = re.compile(
    r"we may (?:receive|earn) (?:compensation|an? (?:small )?(?:affiliate )?commission)"
    r"|this (?:post|article|page) (?:contains|may contain) (?:affiliate|references to products)"
    r"|(?:enthält|beinhaltet) (?:affiliate[- ]links|werbelinks|werbung)"
    r"|handelt es sich um affiliate[- ]links|^letzte aktualisierung am \d"
    r"|(?:may|might) earn us an? (?:small )?commission",
    re.IGNORECASE,
)
DISCLOSURE_WORDS = 60
# A phone or fax number on a line of its own (fewer than CONTACT_WORDS): a press contact.
CONTACT = re.compile(
    r"^(?:tel(?:efon)?|phone|fax|telefax|mobil|mobile)\.?\s*:?\s*[+(]?\d[\d /().-]{5,}",
    re.IGNORECASE,
)
CONTACT_WORDS = 12
# A short line that names a newsletter is its advertisement ("Der Newsletter informiert Sie
# montags bis freitags ...", "For the latest news, sign up for our newsletters"): the word is
# the same in the languages of the corpus, and articles seldom speak of one in so few words.
NEWSLETTER = re.compile(r"newsletter", re.IGNORECASE)
NEWSLETTER_WORDS = 40
READING_TIME = re.compile(
    r"(?:lesezeit|lesedauer|reading time|temps de lecture|tiempo de lectura|czas czytania)\s*:?\s*"
    r"(?:ca\.\s*)?\d|^\W*\d+\s*(?:min(?:ute)?s?|minuten)\.?\s*(?:read|lesezeit|lesedauer|de lecture"
    r"|de lectura)\b|przeczytasz w",
    re.IGNORECASE,
)
DATELINE = re.compile(
    r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}:\d{2}\b"
    r"|\b(?:updated|published|aktualisiert|stand|actualizado|publicado|mis à jour|publié)\b",
    re.IGNORECASE,
)
# "Label: ..." whose label names no date ("Termin: 29.02.2020, 19 Uhr"): the date is the content.
LABELED = re.compile(r"^([^\W\d][\w -]{2,30}):\s")
DATE_LABEL = re.compile(
    r"\b(?:updated|published|aktualisiert|stand|actualizado|publicado|mis à jour|publié"
    r"|date|datum|fecha|veröffentlicht|erschienen)\b",
    re.IGNORECASE,
)
BYLINE = re.compile(r"^(?:by|von|por|par|af|av|di|door|autor|author)\s+\S", re.IGNORECASE)
# A wire story's sign-off: the editor's initials and the agency ("aja/PAP", "(dpa)").
SIGN_OFF = re.compile(r"^\(?[\w.]{1,12}/" + AGENCY + r"\)?$|^\(" + AGENCY + r"\)$", re.IGNORECASE)
# What makes a figure article text rather than a picture: text blocks of a few words at least.
FIGURE_TEXT = ".//p | .//blockquote | .//table | .//ul | .//ol | .//pre"
FIGURE_MIN_WORDS = 8
# Captions of this many words, more than this share of the paragraphs' words, are a gallery's text.
GALLERY_MIN_WORDS = 50
GALLERY_SHARE = 1.0
# A text figure with this share of its word 4-grams said elsewhere on the page is a pull quote.
PULL_QUOTE_SHARE = 0.5
_TOKEN = re.compile(r"\w+")
# Link text that is itself a web or mail address: the reference a text cites, not a teaser.
ADDRESS = re.compile(r"^(?:(?:https?://|www\.)\S+|[^\s@]+@[^\s@]+\.\w+)$", re.IGNORECASE)
SHORT_LINE_WORDS = 8
LINK_SHARE = 0.6
LINK_MIN_CHARS = 12
SENTENCE_WORDS = 10
# A link inside a paragraph or list item with this many characters of its own besides its links
# is part of the text (a source it cites), not a teaser; unless the same link text stands alone.
PROSE_BLOCKS = frozenset({"p", "li", "dd", "blockquote"})
OTHER_BLOCKS = frozenset(
    {"div", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
)
PROSE_CHARS = 50


@lru_cache(maxsize=256)
def compiled_selector(selector: str) -> CSSSelector:
    """Compile a CSS selector once per process; raises ``cssselect.SelectorError`` on a bad one."""
    return CSSSelector(selector)


def narrow(
    tree: lxml.html.HtmlElement,
    body: str | None = None,
    exclude: Sequence[str] = (),
    off: frozenset[str] = frozenset(),
) -> lxml.html.HtmlElement:
    """Drop ``exclude`` matches, captions and pull quotes; keep only ``body`` matches if any."""
    for selector in exclude:
        for element in compiled_selector(selector)(tree):
            _drop(element)
    clear_figures(tree, off)
    if body is None:
        return tree
    chosen = compiled_selector(body)(tree)
    if not chosen:
        return tree
    document = with_head_of(tree, lxml.html.document_fromstring("<html><body></body></html>"))
    target = document.find("body")
    for element in chosen:
        copied = deepcopy(element)
        copied.tail = None
        target.append(copied)
    return document


def clear_figures(tree: lxml.html.HtmlElement, off: frozenset[str] = frozenset()) -> None:
    """Drop figure captions (not a gallery's) and pull quotes; another text figure becomes a block.

    trafilatura drops every ``<figure>``; sites put tables, quotes and body text in them.
    Rules ``captions`` and ``pull-quotes`` of :data:`RULES` (less ``off``). A picture is left
    to trafilatura, and so is a caption outside a figure: dropping either before it lost F1 on
    evalpages (-0.0002, -0.0004) for at most +0.0001 on pages.
    """
    if "captions" not in off:
        captions = tree.xpath("//figure//figcaption")
        if captions and not _gallery(tree, captions):
            for caption in captions:
                _drop(caption)
    page: Counter[tuple[str, ...]] | None = None
    for figure in tree.xpath("//figure"):
        text = figure.text_content()
        if not (figure.xpath(FIGURE_TEXT) and word_count(text) >= FIGURE_MIN_WORDS):
            continue
        if "pull-quotes" not in off:
            if page is None:
                page = _grams(tree.text_content())
            own = _grams(text)
            if sum(n < page[gram] for gram, n in own.items()) >= PULL_QUOTE_SHARE * len(own):
                page.subtract(own)
                _drop(figure)
                continue
        figure.tag = "div"


def _gallery(tree: lxml.html.HtmlElement, captions: list[lxml.html.HtmlElement]) -> bool:
    """Whether the captions say more than the paragraphs outside figures: they are the text."""
    said = sum(len(caption.text_content().split()) for caption in captions)
    if said < GALLERY_MIN_WORDS:
        return False
    outside = 0
    for paragraph in tree.iter("p"):
        if any(parent.tag == "figure" for parent in paragraph.iterancestors()):
            continue
        outside += len(paragraph.text_content().split())
        if said < GALLERY_SHARE * outside:
            return False
    return True


def _grams(text: str) -> Counter[tuple[str, ...]]:
    """The word 4-grams of ``text`` (case folded), counted."""
    words = _TOKEN.findall(text.casefold())
    return Counter(zip(words, words[1:], words[2:], words[3:]))


def with_head_of(
    tree: lxml.html.HtmlElement, document: lxml.html.HtmlElement
) -> lxml.html.HtmlElement:
    """``document`` with a copy of ``tree``'s ``<head>`` (title, meta tags, language) put first."""
    head = tree.find("head")
    if head is not None:
        document.insert(0, deepcopy(head))
    return document


def _drop(element: lxml.html.HtmlElement) -> None:
    if element.getparent() is not None:
        element.drop_tree()


@dataclass
class PageSignals:
    """What the page says besides its text, used to recognise furniture lines."""

    headlines: set[str] = field(default_factory=set)
    anchors: set[str] = field(default_factory=set)
    authors: list[str] = field(default_factory=list)
    # The texts of links away from the page (the mostly-link rule's); ``None``: all of ``anchors``.
    leading_away: set[str] | None = None
    # The links of each text of ``leading_away``, to tell a cited source from a teaser.
    links: dict[str, list[lxml.html.HtmlElement]] = field(default_factory=dict)
    # The anchors long enough for the mostly-link rule, shortest first, and their lengths.
    _long: list[str] = field(default_factory=list, init=False, repr=False)
    _lengths: list[int] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        texts = self.anchors if self.leading_away is None else self.leading_away
        self._long = sorted((a for a in texts if len(a) > LINK_MIN_CHARS), key=len)
        self._lengths = [len(a) for a in self._long]
        self._prose: dict[lxml.html.HtmlElement, bool] = {}

    def cited(self, anchor: str) -> bool:
        """Whether every link with this text is inside a paragraph or list item of text.

        Asked only of the few anchors a line is mostly made of: judging every link of the page
        up front cost 0.6 ms a page.
        """
        found = self.links.get(anchor)
        if not found:
            return False
        return all(_in_prose(link, self._prose) for link in found)

    def anchors_between(self, shortest: float, longest: int) -> list[str]:
        """The anchors of more than 12 characters whose length is within the bounds."""
        return self._long[
            bisect_left(self._lengths, shortest) : bisect_right(self._lengths, longest)
        ]

    @classmethod
    def of(
        cls,
        tree: lxml.html.HtmlElement,
        headlines: Iterable[str | None],
        authors: Iterable[str],
        url: str = "",
    ) -> PageSignals:
        """The signals of ``tree``, the page at ``url``."""
        here = _Here.of(url)
        anchors: set[str] = set()
        links: dict[str, list[lxml.html.HtmlElement]] = {}
        for a in tree.iter("a"):
            href = a.get("href")
            if href is None:  # a named place (<a name>), not a link
                continue
            text = normalize(_link_text(a))
            if not text:
                continue
            anchors.add(text)
            if len(text) > LINK_MIN_CHARS and not (here.linked_by(href) or ADDRESS.match(text)):
                links.setdefault(text, []).append(a)
        return cls(
            {h for h in headlines if h}, anchors, [a for a in authors if a], set(links), links
        )


def _link_text(link: lxml.html.HtmlElement) -> str:
    """``link.text_content()``; most links hold one text and no element, read at a third less cost."""
    if len(link) == 0:
        return link.text or ""
    return "".join(link.itertext())


def _in_prose(link: lxml.html.HtmlElement, seen: dict[lxml.html.HtmlElement, bool]) -> bool:
    """Whether ``link`` is part of a paragraph or list item that says more than its links."""
    block = link.getparent()
    while block is not None and block.tag not in PROSE_BLOCKS:
        if block.tag in OTHER_BLOCKS:
            return False
        block = block.getparent()
    if block is None:
        return False
    if block not in seen:
        own = len(normalize(block.text_content()))
        linked = sum(len(normalize(a.text_content())) for a in block.iter("a"))
        seen[block] = own - linked >= PROSE_CHARS
    return seen[block]


def _address(url: str, base: str = "") -> tuple[str, str] | None:
    """Host and path of ``url`` (resolved against ``base``), or ``None`` if it is no URL."""
    try:
        parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
    except ValueError:
        return None
    return parts.netloc.lower(), parts.path or "/"


@dataclass(frozen=True)
class _Here:
    """The page's own address, to tell links to it (a permalink, a table of contents) from others."""

    url: str
    address: tuple[str, str] | None
    # The last segment of the page's path: a link to the page holds it (resolving costs 10 us).
    name: str

    @classmethod
    def of(cls, url: str) -> _Here:
        address = _address(url)
        return cls(url, address, address[1].rstrip("/").rpartition("/")[2] if address else "")

    def linked_by(self, href: str) -> bool:
        """Whether ``href`` leads to this page or a named place of it."""
        if href.startswith("#"):
            return True
        return (
            self.address is not None
            and self.name in href
            and _address(href, self.url) == self.address
        )


def furniture_rule(line: str, page: PageSignals, off: frozenset[str] = frozenset()) -> str | None:
    """The name of the first rule (of :data:`RULES`, less ``off``) that marks ``line`` as furniture."""
    for name, rule in _LINE_RULES:
        if name not in off and rule(line, page):
            return name
    return None


def is_furniture(line: str, page: PageSignals) -> bool:
    """Whether ``line`` is site furniture rather than article text."""
    return furniture_rule(line, page) is not None


def _headline(line: str, page: PageSignals) -> bool:
    return line in page.headlines


def _prompt(line: str, page: PageSignals) -> bool:
    if _prompt_text(line):
        return True
    if line.startswith("| "):
        # A table row of one cell is a box around a label ("| Weitere Artikel zum Thema |").
        cells = [cell for cell in map(str.strip, line.strip("| ").split("|")) if cell]
        return len(cells) == 1 and _prompt_text(cells[0])
    # A post's meta line: "January 13, 2020 | categories: Python | View Comments".
    return (
        " | " in line
        and not has_words(line, META_LINE_WORDS + 1)
        and any(
            _prompt_text(part) or META_PART.match(part)
            for part in map(str.strip, line.split(" | "))
        )
    )


def _prompt_text(text: str) -> bool:
    return bool(len(text) < 200 and PROMPT.match(text) or LABEL.match(text))


def _caption_credit(line: str, page: PageSignals) -> bool:
    return len(line.split()) < 40 and bool(CAPTION_CREDIT.search(line))


def _notice(line: str, page: PageSignals) -> bool:
    # word_count is remembered: the guard counts the same lines again.
    words = word_count(line)
    if words >= DISCLOSURE_WORDS:
        return False
    return bool(DISCLOSURE.search(line)) or words < RIGHTS_WORDS and bool(RIGHTS.search(line))


def _contact(line: str, page: PageSignals) -> bool:
    return bool(CONTACT.match(line)) and not has_words(line, CONTACT_WORDS)


def _newsletter(line: str, page: PageSignals) -> bool:
    return bool(NEWSLETTER.search(line)) and not has_words(line, NEWSLETTER_WORDS)


def _byline_dateline(line: str, page: PageSignals) -> bool:
    if has_words(line, SHORT_LINE_WORDS + 1):
        return False
    if (
        BYLINE.match(line)
        or SIGN_OFF.match(line)
        or READING_TIME.search(line)
        or any(name in line for name in page.authors)
    ):
        return True
    label = LABELED.match(line)
    return bool(DATELINE.search(line)) and not (label and not DATE_LABEL.search(label.group(1)))


def _mostly_link_rule(line: str, page: PageSignals) -> bool:
    # A table row (trafilatura writes "| cell | cell |") is data, though a cell may be a link.
    if len(line) <= 20 or _is_sentence(line) or line.startswith("| "):
        return False
    # Only an anchor no longer than the line can be in it.
    return any(
        anchor in line and not page.cited(anchor)
        for anchor in page.anchors_between(LINK_SHARE * len(line), len(line))
    )


_LINE_RULES: tuple[tuple[str, Callable[[str, PageSignals], bool]], ...] = (
    ("headline", _headline),
    ("prompt", _prompt),
    ("caption-credit", _caption_credit),
    ("notices", _notice),
    ("contact", _contact),
    ("newsletter", _newsletter),
    ("byline-dateline", _byline_dateline),
    ("mostly-link", _mostly_link_rule),
)
# Every rule, by the name the benchmark's ablation switches it off with: all remove text but
# the guard and the standfirst (:mod:`corpus.standfirst`), which put text back.
RULES: tuple[str, ...] = (
    "captions",
    "pull-quotes",
    *(name for name, _ in _LINE_RULES),
    "repeats",
    "declared-body",
    "guard",
    "standfirst",
)


def _is_sentence(line: str) -> bool:
    """A full sentence: in-body links can cover one, the titles of related articles are not."""
    return line.endswith((".", "。")) and has_words(line, SENTENCE_WORDS)


def clean_lines(
    lines: Iterable[str], page: PageSignals, off: frozenset[str] = frozenset()
) -> list[str]:
    """Drop furniture lines and repeated paragraphs."""
    kept: list[str] = []
    seen: set[str] = set()
    for line in map(normalize, lines):
        if (
            not line
            or "repeats" not in off
            and _repeat(line, seen)
            or furniture_rule(line, page, off)
        ):
            continue
        seen.add(line)
        kept.append(line)
    return kept


def _repeat(line: str, seen: set[str]) -> bool:
    """A paragraph met before: a block the template shows twice (short lines repeat in lists)."""
    return line in seen and word_count(line) >= SENTENCE_WORDS
