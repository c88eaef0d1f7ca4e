"""Checks on an extraction: trust the page's declared body, retry a truncated one, name a bad one."""

from __future__ import annotations

import re
from collections.abc import Callable

from corpus.article import normalize, word_count
from corpus.filters import MIN_WORDS

_TOKEN = re.compile(r"\w+")
SHINGLE = 4
# A declared articleBody this much longer than the extraction means the extractor missed text.
TRUNCATION_RATIO = 1.5
# Below this many words, a page that talks about subscriptions or cookies is a stub.
STUB_WORDS = 150
# Cleaning that keeps less than this share of trafilatura's words has thrown text away: keep its text.
GUARD_SHARE = 0.5
GUARD_MIN_WORDS = 50
HEADING_WORDS = 8
PAYWALL = re.compile(
    r"subscribe to (?:continue|read)|subscribers? only|for subscribers|this (?:article|content) is (?:only )?for"
    r"|to continue reading|already a subscriber|nur für abonnenten|exklusiv für abonnenten|abo abschließen"
    r"|réservé aux abonnés|exclusivo para suscriptores|solo para suscriptores|riservato agli abbonati"
    r"|会員限定|有料会員|유료 회원|구독자 전용",
    re.IGNORECASE,
)
COOKIE_WALL = re.compile(
    r"cookies?|consent|privacy settings|datenschutz|einwilligung|zustimm|accept all|alle akzeptieren"
    r"|consentimiento|accepter|politique de confidentialité",
    re.IGNORECASE,
)


def shingles(text: str) -> set[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.casefold())
    if len(tokens) < SHINGLE:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


def _length(lines: list[str]) -> int:
    return sum(map(len, lines))


def keep_declared_body(
    lines: list[str], article_body: str | None, description: str | None = None
) -> list[str]:
    """When the page declares a body of comparable size, keep only lines that share text with it.

    A subheading between two such lines stays: a declared body is plain text, often without them.
    """
    if not article_body or len(article_body) < 0.5 * _length(lines):
        return lines
    declared = normalize(article_body)
    declared_shingles = shingles(declared)
    if description:
        declared_shingles |= shingles(normalize(description))
    shared = [line in declared or bool(shingles(line) & declared_shingles) for line in lines]
    return [
        line
        for i, line in enumerate(lines)
        if shared[i]
        or 0 < i < len(lines) - 1
        and shared[i - 1]
        and shared[i + 1]
        and _heading(line)
    ]


def _heading(line: str) -> bool:
    """A few words that end no sentence and start no list item or table row."""
    return (
        word_count(line) <= HEADING_WORDS
        and not line.endswith((".", ":"))
        and not line.startswith(("- ", "| "))
    )


def declared_paragraphs(article_body: str | None) -> list[str]:
    if not article_body:
        return []
    return [normalize(line) for line in article_body.splitlines() if line.strip()]


def looks_truncated(lines: list[str], article_body: str | None) -> bool:
    """Fewer words than the shortest brief the corpus takes (``MIN_WORDS``), or much less than
    the page declares as its body."""
    return sum(map(word_count, lines)) < MIN_WORDS or bool(
        article_body and len(article_body) > TRUNCATION_RATIO * _length(lines)
    )


def retry(lines: list[str], article_body: str | None, recall: Callable[[], list[str]]) -> list[str]:
    """Another way to the body: the declared one in paragraphs, else the extractor's recall focus."""
    declared = declared_paragraphs(article_body)
    if len(declared) > 3 or (declared and not lines):
        return declared
    again = recall()
    return again if _length(again) > _length(lines) else lines


def lost_text(lines: list[str], raw: list[str]) -> bool:
    """Whether cleaning kept less than :data:`GUARD_SHARE` of trafilatura's words for the page."""
    words = sum(map(word_count, raw))
    return words >= GUARD_MIN_WORDS and sum(map(word_count, lines)) < GUARD_SHARE * words


def problem(lines: list[str], accessible: bool = True) -> str | None:
    """Why the extraction is not an article's text (``paywall``, ``cookie-wall``), or ``None``."""
    text = " ".join(lines)
    words = word_count(text)
    if words >= STUB_WORDS:
        return None
    if not accessible or PAYWALL.search(text):
        return "paywall"
    if words and len(COOKIE_WALL.findall(text)) * 10 >= words:
        return "cookie-wall"
    return None
