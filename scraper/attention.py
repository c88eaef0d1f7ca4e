"""When a source needs a look: the verdict on a run's figures and its history (Scrapy-free)."""

from __future__ import annotations

from typing import Any

BLOCKING_STATUSES = ("403", "429")


def attention_reasons(
    figures: dict[str, Any], history: list[dict[str, Any]], idle_runs: int, min_responses: int
) -> list[str]:
    """Say why a source needs a look, from this run's figures and earlier runs' (newest first)."""
    reasons = []
    runs = [figures, *history][:idle_runs]
    if idle_runs and len(runs) == idle_runs and not any(run.get("written") for run in runs):
        reasons.append(f"no new article in {idle_runs} runs in a row")
    status: dict[str, int] = figures.get("status", {})
    fetched = sum(status.values())
    refused = sum(
        n for code, n in status.items() if code in BLOCKING_STATUSES or code.startswith("5")
    )
    if fetched >= min_responses and refused * 2 > fetched:
        reasons.append(f"{refused} of {fetched} responses were 403, 429 or 5xx")
    filtered: dict[str, int] = figures.get("filtered", {})
    judged = figures.get("written", 0) + sum(filtered.values())
    empty = filtered.get("empty", 0)
    if judged >= min_responses and empty * 2 > judged:
        reasons.append(f"{empty} of {judged} article pages extracted to nothing")
    return reasons
