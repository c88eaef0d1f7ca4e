"""The extraction benchmark's line-removal ceiling, on a page whose truth is known."""

from __future__ import annotations

import re

from benchmarks.extraction import Page, PageSet, Result, ceiling_report
from benchmarks.metrics import aggregate, match
from benchmarks.sharedsite import SharedPage

BODY = (
    "The council voted on Tuesday to rebuild the old bridge over the river by 2028.\n"
    "Work starts in the spring, and the road stays open to buses while it lasts."
)
STANDFIRST = "A long debate over the town's busiest crossing ended with a clear majority at last."
PROMPT = "Get our morning briefing"


def result_for(text: str) -> Result:
    """What the benchmark's run leaves for one page on which ours extracted ``text``."""
    shared = SharedPage("/articles/a", b"", "http://127.0.0.1/a", "", (), "", BODY, "xx")
    page = Page("a", b"", shared.url, "", lambda t: match(BODY, t), shared)
    return Result(PageSet("fixture", [page], aggregate), {}, [], {}, [text])


def ceiling_f1s(text: str) -> list[float]:
    return [float(f) for f in re.findall(r"F1 (\d\.\d+)", ceiling_report(result_for(text)))]


def test_the_ceiling_drops_the_lines_the_truth_lacks_by_kind() -> None:
    every, not_sentences, sentences = ceiling_f1s(f"{STANDFIRST}\n{BODY}\n{PROMPT}")
    assert every == 1.0
    # Only the prompt (not a full sentence) or only the standfirst (one) can go.
    assert every > not_sentences > 0.0
    assert every > sentences > not_sentences  # the standfirst holds more shingles
    assert ceiling_f1s(BODY) == [1.0, 1.0, 1.0]
