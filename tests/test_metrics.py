"""The benchmark's body-extraction metric on strings whose scores are known by hand."""

from __future__ import annotations

import unicodedata

import pytest

from benchmarks.metrics import Match, aggregate, match, match_snippets, shingles

TRUE = "one two three four five six seven eight"  # 5 shingles


def test_shingles_are_counted_with_multiplicity() -> None:
    counts = shingles("a b c d a b c d")
    assert counts[("a", "b", "c", "d")] == 2
    assert sum(counts.values()) == 5


def test_a_text_shorter_than_a_shingle_is_one_shingle() -> None:
    assert shingles("two words") == {("two", "words"): 1}
    assert shingles("") == {}


def test_identical_texts_score_one() -> None:
    result = match(TRUE, TRUE)
    assert (result.precision, result.recall, result.f1) == (1.0, 1.0, 1.0)


def test_extra_boilerplate_costs_precision_only() -> None:
    result = match(TRUE, TRUE + " subscribe now to keep reading")
    # 5 true shingles kept, 5 new ones across the join: precision 5/10.
    assert result.recall == 1.0
    assert result.precision == pytest.approx(0.5)


def test_missing_text_costs_recall_only() -> None:
    result = match(TRUE, "one two three four five")
    assert result.precision == 1.0
    assert result.recall == pytest.approx(2 / 5)


def test_aggregate_is_f1_of_mean_precision_and_recall() -> None:
    scores = aggregate([Match(0.5, 0.5, 0.0), Match(0.5, 0.0, 0.5)])
    assert scores.precision == pytest.approx(0.75)
    assert scores.recall == pytest.approx(0.75)
    assert scores.f1 == pytest.approx(0.75)


def test_an_empty_prediction_counts_against_recall_not_precision() -> None:
    scores = aggregate([match(TRUE, TRUE), match(TRUE, "")])
    assert scores.precision == 1.0
    assert scores.recall == pytest.approx(0.5)


def test_the_same_words_in_another_normal_form_are_the_same_text() -> None:
    composed = "Việt Nam thắng đậm trên sân nhà"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert match(composed, decomposed).f1 == 1.0
    found = match_snippets([composed], [], decomposed)
    assert (found.tp, found.fn) == (1, 0)
