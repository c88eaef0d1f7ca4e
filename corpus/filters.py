"""Decide what enters the corpus: is it an article, is it on topic."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from corpus.article import Article


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its accents, for matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class TopicFilter:
    """Keyword groups: a text matches when every group has a whole-word hit."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        self.groups = [list(group) for group in groups if group]
        self._patterns = [
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(fold(term)) for term in group) + r")(?!\w)"
            )
            for group in self.groups
        ]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def matches(self, text: str) -> bool:
        folded = fold(text)
        return all(pattern.search(folded) for pattern in self._patterns)


MIN_WORDS = 40
# Below this many words a text could be a page's furniture as well as a brief: the page must
# mark itself as an article (JSON-LD, og:type, one <article>) to enter the corpus.
SHORT_WORDS = 100


def rejection_reason(
    article: Article | None,
    *,
    min_words: int = MIN_WORDS,
    max_link_ratio: float = 0.5,
    topic: TopicFilter | None = None,
) -> str | None:
    """Return why ``article`` stays out of the corpus, or ``None`` to keep it."""
    if article is None:
        return "empty"
    words = article.words
    if article.link_words > max_link_ratio * max(words, article.extracted_words):
        return "listing"
    if not article.paragraphs:
        return "empty"
    if article.problem:
        return article.problem
    if words < min_words:
        return "too-short"
    if words < SHORT_WORDS and article.page_type != "article":
        return article.page_type or "not-article"
    if topic and not topic.matches(article.text()):
        return "off-topic"
    return None
