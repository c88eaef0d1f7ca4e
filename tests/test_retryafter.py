"""Reading Retry-After: delta-seconds, HTTP-dates, and what cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scraper.downloadermiddlewares.retryafter import retry_after_seconds

NOW = datetime(2026, 11, 23, 7, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Mon, 23 Nov 2026 07:01:30 GMT", 90.0),
        ("Mon, 23 Nov 2026 06:59:00 GMT", 0.0),  # already past: go on
        ("soon", None),
        ("-3", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds
