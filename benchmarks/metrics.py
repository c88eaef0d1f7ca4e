"""Body-extraction scores: token 4-gram shingles counted with multiplicity.

The scheme of the article-extraction-benchmark: per page, true positives,
false positives and false negatives over shingles, normalised so long pages do
not weigh more; over a set of pages, precision and recall are the means of the
per-page figures and F1 is their harmonic mean.

Both sides are compared in Unicode normal form C, for every extractor alike: the same
words written with precomposed or combining characters (a page's Bengali or Vietnamese in
one form, its hand-written body in the other) are the same text.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Count the ``size``-token shingles of ``text`` (one short shingle if fewer tokens)."""
    tokens = _TOKEN.findall(composed(text or ""))
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


@dataclass(frozen=True)
class Match:
    """Normalised shingle counts of one prediction against its truth."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float:
        if self.fp == self.fn == 0:
            return 1.0
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        if self.fp == self.fn == 0:
            return 1.0
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return harmonic(self.precision, self.recall)


def match(true: str, predicted: str) -> Match:
    """Compare a predicted body with the true one."""
    truth, prediction = shingles(true), shingles(predicted)
    tp = sum((truth & prediction).values())
    fp = sum((prediction - truth).values())
    fn = sum((truth - prediction).values())
    total = tp + fp + fn
    if not total:
        return Match(0.0, 0.0, 0.0)
    return Match(tp / total, fp / total, fn / total)


@dataclass(frozen=True)
class Scores:
    """Mean precision and recall over pages, and the F1 of those means."""

    precision: float
    recall: float
    f1: float
    pages: int


def aggregate(matches: Iterable[Match]) -> Scores:
    """Combine per-page matches the way the article-extraction-benchmark does."""
    items = list(matches)
    # An empty prediction has no precision to speak of; it costs recall only.
    precisions = [m.precision for m in items if m.tp + m.fp > 0]
    recalls = [m.recall for m in items if m.tp + m.fn > 0]
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    return Scores(precision, recall, harmonic(precision, recall), len(items))


def harmonic(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b else 0.0


@dataclass(frozen=True)
class SnippetMatch:
    """Snippets of one page found or missed: the evaluation scheme of trafilatura's own set."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        return harmonic(self.precision, self.recall)


def composed(text: str) -> str:
    """``text`` in Unicode normal form C (precomposed characters where there are any)."""
    return unicodedata.normalize("NFC", text)


def _spaced(text: str) -> str:
    return " ".join(composed(text).split())


def match_snippets(with_: Iterable[str], without: Iterable[str], predicted: str) -> SnippetMatch:
    """Which ``with_`` snippets the whitespace-normalised text holds, and which ``without`` ones."""
    text = _spaced(predicted or "")
    found = [_spaced(s) in text for s in with_]
    leaked = [_spaced(s) in text for s in without]
    return SnippetMatch(sum(found), sum(leaked), found.count(False), leaked.count(False))


def aggregate_snippets(matches: Iterable[SnippetMatch]) -> Scores:
    """Precision and recall over the snippets of all pages together, and their F1."""
    items = list(matches)
    tp, fp, fn = (sum(getattr(m, name) for m in items) for name in ("tp", "fp", "fn"))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return Scores(precision, recall, harmonic(precision, recall), len(items))
