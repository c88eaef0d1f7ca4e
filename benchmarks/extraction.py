"""Extraction quality: our extraction against plain trafilatura and hand-written parsers.

    python -m benchmarks.extraction --pages ../shared/pages [--min-f1 0.96]

For every page of the folder, runs :func:`corpus.extract.extract_article` and
plain ``trafilatura.extract`` in the same process, one after the other, and
prints mean F1, precision and recall of each against the ``body`` of
``pages.jsonl`` (see :mod:`benchmarks.metrics`), their pages/s, the 10 worst
pages of ours, and how often our headline, authors, date and language agree
with the hand-written parser's (the language of the true body is identified
with py3langid, as ``pages.jsonl`` does not carry one). Deterministic apart
from the speeds. With ``--min-f1`` it exits 1 when our F1 is below it.
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import trafilatura

from benchmarks.metrics import Match, Scores, aggregate, match
from benchmarks.sharedsite import SharedPage, load_pages
from corpus.article import Article
from corpus.extract import extract_article, identify_language
from corpus.filters import fold


@dataclass
class Run:
    """What one extractor produced over every page."""

    name: str
    matches: list[Match] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def scores(self) -> Scores:
        return aggregate(self.matches)

    @property
    def pages_per_second(self) -> float:
        return len(self.matches) / self.seconds if self.seconds else 0.0


def _timed(function: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


_QUOTES = str.maketrans({c: "'" for c in "\u2018\u2019\u201a\u201b"} | {c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb"})


def _comparable(text: str) -> str:
    """``text`` folded, with plain quotes, no format characters and single spaces."""
    visible = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(fold(visible).translate(_QUOTES).split())


def _same_text(a: str, b: str) -> bool:
    return _comparable(a) == _comparable(b)


def _dates(value: str) -> set[str]:
    """The calendar dates ``value`` names: as written, and in UTC."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return {value[:10]}
    dates = {moment.date().isoformat()}
    if moment.tzinfo is not None:
        dates.add(moment.astimezone(timezone.utc).date().isoformat())
    return dates


def metadata_agreement(page: SharedPage, article: Article | None) -> dict[str, bool]:
    """Which of headline, authors, date and language ``article`` gets right."""
    if article is None:
        return dict.fromkeys(("headline", "authors", "date", "language"), False)
    truth_language = identify_language(page.body)
    return {
        "headline": _same_text(article.title, page.title),
        "authors": sorted(map(fold, article.authors)) == sorted(map(fold, page.authors)),
        "date": bool(article.published and page.published)
        and bool(_dates(article.published) & _dates(page.published))
        or not (article.published or page.published),
        "language": article.language == truth_language,
    }


def run(pages: list[SharedPage]) -> tuple[Run, Run, list[tuple[SharedPage, Match]], dict[str, int]]:
    ours, plain = Run("ours"), Run("plain trafilatura.extract")
    worst: list[tuple[SharedPage, Match]] = []
    agreement: dict[str, int] = {}
    for page in pages:
        article, seconds = _timed(lambda: extract_article(page.html, page.url))
        ours.seconds += seconds
        body = "\n".join(article.paragraphs) if article else ""
        result = match(page.body, body)
        ours.matches.append(result)
        worst.append((page, result))
        for name, right in metadata_agreement(page, article).items():
            agreement[name] = agreement.get(name, 0) + right
        text, seconds = _timed(lambda: trafilatura.extract(page.html, url=page.url))
        plain.seconds += seconds
        plain.matches.append(match(page.body, text or ""))
    worst.sort(key=lambda pair: pair[1].f1)
    return ours, plain, worst[:10], agreement


def report(ours: Run, plain: Run, worst: list[tuple[SharedPage, Match]], agreement: dict[str, int]) -> str:
    lines = [f"{'extractor':<28} {'F1':>6} {'prec':>6} {'recall':>6} {'pages/s':>8}"]
    for result in (ours, plain):
        s = result.scores
        lines.append(
            f"{result.name:<28} {s.f1:6.4f} {s.precision:6.4f} {s.recall:6.4f} {result.pages_per_second:8.1f}"
        )
    lines.append(f"speed ours / plain: {ours.pages_per_second / plain.pages_per_second:.2f}")
    total = len(ours.matches)
    lines.append(
        "metadata right on "
        + ", ".join(f"{name} {count}/{total} ({count / total:.0%})" for name, count in agreement.items())
    )
    lines.append("10 worst pages (ours):")
    for page, result in worst:
        lines.append(f"  {result.f1:5.3f} P {result.precision:5.3f} R {result.recall:5.3f}  {page.path}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.extraction", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=Path, required=True, help="folder with pages.jsonl and *.html.gz")
    parser.add_argument("--min-f1", type=float, default=None, help="exit 1 when our mean F1 is lower")
    args = parser.parse_args(argv)
    pages = load_pages(args.pages)
    print(f"{len(pages)} pages from {args.pages}", flush=True)
    ours, plain, worst, agreement = run(pages)
    print(report(ours, plain, worst, agreement))
    if args.min_f1 is not None and ours.scores.f1 < args.min_f1:
        print(f"FAIL: our F1 {ours.scores.f1:.3f} is below {args.min_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
