"""Extraction quality and speed: ours against plain trafilatura on two page sets.

    python -m benchmarks.extraction --pages ../shared/pages --evalpages ../shared/evalpages
        [--min-f1 0.97] [--min-eval-f1 0.94] [--ablate] [--ceiling]

``--pages``: a folder whose ``pages.jsonl`` carries each page's true ``body`` (scored by
token shingles, :func:`benchmarks.metrics.match`); ``--evalpages``: a folder whose
``pages.jsonl`` carries ``with`` and ``without`` snippets (scored as trafilatura's own
evaluation does, :func:`benchmarks.metrics.match_snippets`). For every page, ours
(:func:`corpus.extract.extract_article`) and plain ``trafilatura.extract`` in each
configuration of :data:`PLAIN` run one after the other in this process, so their speeds
share the machine's load; the order alternates from page to page, and each runs once
untimed first (what it loads once, like our language model, is not counted). Prints per set F1, precision, recall and pages/s of each, our
speed over plain default's, our 10 worst pages, and, on ``--pages``, how often our
headline, authors, date and language agree with the hand-written parser's.

``--ceiling`` prints, on ``--pages``, the F1 our text would score with every line the true
body lacks left out: every such line, only those that are not full sentences, only full
sentences (:func:`ceiling_report`).

``--ablate`` then switches each cleaning rule (:data:`corpus.boilerplate.RULES`) off
alone and prints the F1 change on each set (positive: the rule gains), and on ``--pages``
the leave-one-publisher-out check: the rule's smallest gain with any one publisher left
out. With ``--min-f1``/``--min-eval-f1`` it exits 1 when our F1 on that set is lower.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from unittest import mock

import lxml.html
import trafilatura

import corpus.extract
from benchmarks.metrics import (
    Scores,
    aggregate,
    aggregate_snippets,
    match,
    match_snippets,
    shingles,
)
from benchmarks.sharedsite import SharedPage, load_pages
from corpus.article import Article, has_words
from corpus.boilerplate import RULES, SENTENCE_WORDS
from corpus.extract import extract_article, extract_body, identify_language, parse_html
from corpus.filters import fold
from corpus.metadata import read_structured_data
from corpus.options import ExtractionOptions

# Plain trafilatura configurations compared with ours; the first is the speed reference.
PLAIN: dict[str, dict[str, Any]] = {
    "plain default": {},
    "plain include_comments=False": {"include_comments": False},
    "plain favor_precision=True": {"favor_precision": True},
    "plain fast=True": {"fast": True},
}
OURS = "ours"


class Scored(Protocol):
    @property
    def f1(self) -> float: ...
    @property
    def precision(self) -> float: ...
    @property
    def recall(self) -> float: ...


@dataclass(frozen=True)
class Page:
    """One page of a set and how to score a text extracted from it."""

    name: str
    html: bytes
    url: str
    publisher: str
    score: Callable[[str], Scored]
    shared: SharedPage | None = None


@dataclass
class PageSet:
    """The pages of one folder and how their per-page scores combine."""

    name: str
    pages: list[Page]
    combine: Callable[[Sequence[Any]], Scores]


def shared_set(folder: Path) -> PageSet:
    """Pages with a hand-written parser's body, scored by shingles."""
    pages = [
        Page(
            p.path.removeprefix("/articles/"),
            p.html,
            p.url,
            p.publisher,
            lambda text, b=p.body: match(b, text),
            p,
        )
        for p in load_pages(folder)
    ]
    return PageSet(str(folder), pages, aggregate)


def snippet_set(folder: Path) -> PageSet:
    """Pages with snippets that must and must not be in the text (trafilatura's evaluation)."""
    pages = []
    for line in (folder / "pages.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        with_, without = tuple(row.get("with") or ()), tuple(row.get("without") or ())
        pages.append(
            Page(
                row["file"],
                gzip.decompress((folder / row["file"]).read_bytes()),
                row["url"],
                "",
                lambda text, w=with_, wo=without: match_snippets(w, wo, text),
            )
        )
    return PageSet(str(folder), pages, aggregate_snippets)


@dataclass
class Run:
    """What one extractor produced over every page of a set."""

    name: str
    matches: list[Any] = field(default_factory=list)
    seconds: float = 0.0

    def scores(self, combine: Callable[[Sequence[Any]], Scores]) -> Scores:
        return combine(self.matches)

    @property
    def pages_per_second(self) -> float:
        return len(self.matches) / self.seconds if self.seconds else 0.0


def _timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


_QUOTES = str.maketrans(
    {c: "'" for c in "\u2018\u2019\u201a\u201b"}
    | {c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb"}
)


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
        dates.add(moment.astimezone(UTC).date().isoformat())
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


@dataclass
class Result:
    """Every extractor's run over one set, our worst pages and our metadata agreement."""

    pages: PageSet
    runs: dict[str, Run]
    worst: list[tuple[Page, Scored]]
    agreement: dict[str, int]
    texts: list[str] = field(default_factory=list)  # ours, page by page


def run(pages: PageSet, plain: dict[str, dict[str, Any]] = PLAIN) -> Result:
    """Ours and each ``plain`` configuration, interleaved page by page.

    The order alternates from page to page (ours first, then last), so neither side
    is always the one that meets the page's bytes, or the caches, warm.
    """
    runs = {name: Run(name) for name in (OURS, *plain)}
    scored: list[tuple[Page, Scored]] = []
    agreement: dict[str, int] = {}
    texts: list[str] = []
    if pages.pages:  # untimed: what each side loads once (the language model, for ours)
        extract_article(pages.pages[0].html, pages.pages[0].url)
        for options in plain.values():
            trafilatura.extract(pages.pages[0].html, url=pages.pages[0].url, **options)
    for index, page in enumerate(pages.pages):
        order = [OURS, *plain]
        if index % 2:
            order.reverse()
        for name in order:
            if name != OURS:
                text, seconds = _timed(
                    partial(trafilatura.extract, page.html, url=page.url, **plain[name])
                )
                runs[name].seconds += seconds
                runs[name].matches.append(page.score(text or ""))
                continue
            article, seconds = _timed(partial(extract_article, page.html, page.url))
            runs[OURS].seconds += seconds
            texts.append("\n".join(article.paragraphs) if article else "")
            result = page.score(texts[-1])
            runs[OURS].matches.append(result)
            scored.append((page, result))
            if page.shared is not None:
                for key, right in metadata_agreement(page.shared, article).items():
                    agreement[key] = agreement.get(key, 0) + right
    scored.sort(key=lambda pair: pair[1].f1)
    return Result(pages, runs, scored[:10], agreement, texts)


def report(result: Result) -> str:
    combine = result.pages.combine
    lines = [f"{'extractor':<30} {'F1':>6} {'prec':>6} {'recall':>6} {'pages/s':>8}"]
    for run_ in result.runs.values():
        s = run_.scores(combine)
        lines.append(
            f"{run_.name:<30} {s.f1:6.4f} {s.precision:6.4f} {s.recall:6.4f} {run_.pages_per_second:8.1f}"
        )
    reference = result.runs.get(next(iter(PLAIN)))
    if reference is not None:
        lines.append(
            f"speed ours / plain default: {result.runs[OURS].pages_per_second / reference.pages_per_second:.2f}"
        )
    total = len(result.pages.pages)
    if result.agreement:
        lines.append(
            "metadata right on "
            + ", ".join(
                f"{name} {count}/{total} ({count / total:.0%})"
                for name, count in result.agreement.items()
            )
        )
    lines.append("10 worst pages (ours):")
    for page, scores in result.worst:
        lines.append(
            f"  {scores.f1:5.3f} P {scores.precision:5.3f} R {scores.recall:5.3f}  {page.name}"
        )
    return "\n".join(lines)


def _full_sentence(line: str) -> bool:
    """A paragraph of prose: what a standfirst, a quote or a promotion's pitch is, unlike a
    heading, a label, a link's title or a list item."""
    return (
        not line.startswith(("- ", "| "))
        and has_words(line, SENTENCE_WORDS)
        and line.rstrip("\"'”’»」)").endswith((".", "!", "?", "。"))
    )


def ceiling_report(result: Result) -> str:
    """Our F1 on a set with true bodies were every line of ours that shares no shingle with the
    page's true body dropped: all of them, or only those of one kind. What no rule that drops
    whole lines can beat, and which kind of line the rest of the gap is in."""
    pages = [(page, text) for page, text in zip(result.pages.pages, result.texts) if page.shared]
    if not pages:
        return ""
    kinds: dict[str, Callable[[str], bool]] = {
        "every such line": lambda line: True,
        "only those that are not full sentences": lambda line: not _full_sentence(line),
        "only full sentences": _full_sentence,
    }
    lines = ["our F1 were every line left out that the true body lacks (line-removal ceiling):"]
    for kind, dropped in kinds.items():
        matches = []
        for page, text in pages:
            assert page.shared is not None
            truth = shingles(page.shared.body)
            kept = [
                line for line in text.split("\n") if shingles(line) & truth or not dropped(line)
            ]
            matches.append(page.score("\n".join(kept)))
        s = result.pages.combine(matches)
        lines.append(f"  {kind:<40} F1 {s.f1:.4f} (P {s.precision:.4f} R {s.recall:.4f})")
    return "\n".join(lines)


def body_text(page: Page, options: ExtractionOptions) -> str:
    """Our body of ``page`` alone (no headline, authors or date search), for the ablation."""
    tree = parse_html(page.html)
    if tree is None:
        return ""
    return "\n".join(extract_body(tree, page.url, read_structured_data(tree), options).lines)


@contextmanager
def trafilatura_once() -> Iterator[None]:
    """Within, trafilatura runs once per distinct tree: the variants of one page share its runs."""
    runs: dict[tuple[bytes, bool, ExtractionOptions], list[str]] = {}
    original = corpus.extract._trafilatura_body

    def cached(tree: Any, url: str, options: ExtractionOptions, recall: bool = False) -> list[str]:
        key = (
            hashlib.sha1(lxml.html.tostring(tree)).digest(),
            recall,
            replace(options, rules_off=frozenset()),
        )
        if key not in runs:
            runs[key] = original(tree, url, options, recall)
        return runs[key]

    with mock.patch.object(corpus.extract, "_trafilatura_body", cached):
        yield
    runs.clear()


def ablate(pages: PageSet) -> dict[str | None, list[Any]]:
    """Per-page scores of our body with no rule off (key ``None``) and with each rule off alone."""
    variants: dict[str | None, ExtractionOptions] = {None: ExtractionOptions()}
    variants |= {rule: ExtractionOptions(rules_off=frozenset({rule})) for rule in RULES}
    scores: dict[str | None, list[Any]] = {rule: [] for rule in variants}
    for page in pages.pages:
        with trafilatura_once():
            for rule, options in variants.items():
                scores[rule].append(page.score(body_text(page, options)))
    return scores


def publisher_check(
    pages: PageSet, scores: dict[str | None, list[Any]], rule: str
) -> tuple[float, str]:
    """The rule's smallest F1 gain with one publisher's pages left out, and that publisher."""
    worst = (float("inf"), "")
    for publisher in sorted({page.publisher for page in pages.pages}):
        keep = [i for i, page in enumerate(pages.pages) if page.publisher != publisher]
        gain = (
            pages.combine([scores[None][i] for i in keep]).f1
            - pages.combine([scores[rule][i] for i in keep]).f1
        )
        worst = min(worst, (gain, publisher))
    return worst


def ablation_report(sets: list[PageSet], scores: list[dict[str | None, list[Any]]]) -> str:
    header = f"{'rule (switched off alone)':<26}" + "".join(
        f" {'gain ' + Path(s.name).name:>18}" for s in sets
    )
    publishers = next((i for i, s in enumerate(sets) if any(p.publisher for p in s.pages)), None)
    if publishers is not None:
        header += "  leave-one-publisher-out: min gain (publisher)"
    lines = [header]
    for rule in RULES:
        row = f"{rule:<26}"
        for pages, by_rule in zip(sets, scores):
            gain = pages.combine(by_rule[None]).f1 - pages.combine(by_rule[rule]).f1
            row += f" {gain:+18.4f}"
        if publishers is not None:
            gain, publisher = publisher_check(sets[publishers], scores[publishers], rule)
            row += f"  {gain:+.4f} ({publisher})"
        lines.append(row)
    lines.append("gain: our F1 with every rule minus our F1 with that rule off (body only)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.extraction", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--pages", type=Path, help="folder with pages.jsonl (true bodies) and *.html.gz"
    )
    parser.add_argument(
        "--evalpages", type=Path, help="folder with pages.jsonl (with/without snippets) and html/"
    )
    parser.add_argument(
        "--min-f1", type=float, default=None, help="exit 1 when our F1 on --pages is lower"
    )
    parser.add_argument(
        "--min-eval-f1", type=float, default=None, help="exit 1 when our F1 on --evalpages is lower"
    )
    parser.add_argument(
        "--ablate", action="store_true", help="F1 change of each cleaning rule switched off"
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="on --pages, our F1 with the lines the true bodies lack left out",
    )
    parser.add_argument(
        "--plain",
        choices=("all", "default", "none"),
        default="all",
        help="plain configurations to run",
    )
    args = parser.parse_args(argv)
    if not (args.pages or args.evalpages):
        parser.error("give --pages, --evalpages or both")
    sets: list[tuple[PageSet, float | None]] = []
    if args.pages:
        sets.append((shared_set(args.pages), args.min_f1))
    if args.evalpages:
        sets.append((snippet_set(args.evalpages), args.min_eval_f1))
    failed = []
    for pages, minimum in sets:
        print(f"\n{len(pages.pages)} pages from {pages.name}", flush=True)
        plain = {"all": PLAIN, "default": dict(list(PLAIN.items())[:1]), "none": {}}[args.plain]
        result = run(pages, plain)
        print(report(result), flush=True)
        if args.ceiling and (ceiling := ceiling_report(result)):
            print(ceiling, flush=True)
        f1 = result.runs[OURS].scores(pages.combine).f1
        if minimum is not None and f1 < minimum:
            failed.append(f"FAIL: our F1 {f1:.4f} on {pages.name} is below {minimum}")
    if args.ablate:
        print("\nablation", flush=True)
        print(ablation_report([s for s, _ in sets], [ablate(s) for s, _ in sets]))
    for message in failed:
        print(message, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
