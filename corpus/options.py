"""How to extract an article; a module of its own so the crawl process can read sources
without importing the extraction libraries, which only the pool's processes need."""

from __future__ import annotations

from dataclasses import dataclass

HEADLINE_CHOICES = ("auto", "h1", "og", "ld")


@dataclass(frozen=True)
class ExtractionOptions:
    """How to extract; the defaults favour a clean corpus without losing article text."""

    include_tables: bool = True
    include_comments: bool = False
    favor_precision: bool = False
    fast: bool = False
    body_selector: str | None = None
    exclude_selectors: tuple[str, ...] = ()
    headline: str = (
        "auto"  # or "h1", "og", "ld": where the headline comes from when the page has it
    )
    # The standfirst the page shows and declares as its description leads the text.
    standfirst: bool = True
    # Names of cleaning rules (corpus.boilerplate.RULES) switched off, for the benchmark's ablation.
    rules_off: frozenset[str] = frozenset()
