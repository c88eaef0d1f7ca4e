"""The extracted article, as it travels from extraction to the corpus store."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

from corpus.simhash import simhash

# Scripts written without spaces count one word per character.
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")


def normalize(text: str) -> str:
    """``text`` with each run of white space made one space, and trimmed."""
    # str.split() splits on the same characters as the regex \s, and is several times faster.
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def word_count(text: str) -> int:
    """Count words; each Chinese or Japanese character counts as one."""
    # Cached: the extraction counts the same lines in several checks.
    return len(_WORD.findall(text))


def has_words(text: str, count: int) -> bool:
    """Whether ``text`` holds at least ``count`` words (as :func:`word_count` counts them).

    Stops at the ``count``-th word: on a long paragraph, far cheaper than counting them all.
    """
    return next(islice(_WORD.finditer(text), count - 1, None), None) is not None


@dataclass
class Article:
    """Clean text and metadata of one article page."""

    url: str
    title: str
    paragraphs: list[str]
    canonical_url: str = ""
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    language: str | None = None
    sitename: str | None = None
    page_type: str | None = None
    link_words: int = 0
    extracted_words: int = 0
    description: str | None = None
    problem: str | None = None
    _fingerprint: int | None = field(default=None, repr=False, compare=False)
    _words: int | None = field(default=None, repr=False, compare=False)

    @property
    def words(self) -> int:
        """Words of the paragraphs, counted once (and kept when the article is pickled)."""
        if self._words is None:
            self._words = sum(word_count(p) for p in self.paragraphs)
        return self._words

    def body(self) -> str:
        """The paragraphs without the headline, one per line."""
        return "\n".join(self.paragraphs)

    def fingerprint(self) -> int:
        """The SimHash of :meth:`body`, computed once (and kept when the article is pickled)."""
        if self._fingerprint is None:
            self._fingerprint = simhash(self.body())
        return self._fingerprint

    def text(self) -> str:
        """Return the corpus text: headline line, then one paragraph per line."""
        lines = [self.title, *self.paragraphs] if self.title else list(self.paragraphs)
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
