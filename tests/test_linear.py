"""Regexes run on URLs and page data finish in time linear in their input."""

from __future__ import annotations

import pytest

from corpus.authors import split_authors
from scraper.linear import compile_linear, too_long


def test_nested_quantifiers_run_and_backreferences_are_refused_with_the_reason() -> None:
    # Python's re needs minutes for this search; RE2 answers at once.
    assert compile_linear(r"(a+)+$").search("/" + "a" * 50 + "!") is None
    with pytest.raises(ValueError, match=r"invalid regex '\(a\)\\\\1': invalid escape sequence"):
        compile_linear(r"(a)\1")


def test_url_length_bound() -> None:
    assert (
        too_long("x" * 2084, 2083)
        and not too_long("x" * 2083, 2083)
        and not too_long("x" * 10**6, 0)
    )


def test_author_names_padded_with_whitespace_split_without_backtracking() -> None:
    """A JSON-LD author of 20,000 spaces took 244 s in _CONJUNCTION and _PARENTHESIS before."""
    assert split_authors(["Jane Doe" + " " * 20_000 + "and John Roe (AP)"]) == [
        "Jane Doe",
        "John Roe",
    ]
