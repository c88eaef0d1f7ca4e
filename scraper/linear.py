"""Regexes over URLs, compiled by RE2: matching takes time linear in the URL, whatever the pattern."""

from __future__ import annotations

from typing import Protocol

import re2


class Pattern(Protocol):
    """A regex compiled by RE2, as this project uses it (re2 has no type information)."""

    def search(self, text: str) -> object | None:
        """The first match in ``text``, or None."""


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a bad pattern is reported once, as a config error


def compile_linear(pattern: str) -> Pattern:
    """Compile ``pattern`` with RE2; raise ``ValueError`` saying why when RE2 cannot run it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        reason = (
            error.args[0].decode(errors="replace")
            if error.args and isinstance(error.args[0], bytes)
            else str(error)
        )
        raise ValueError(
            f"invalid regex {pattern!r}: {reason} (RE2 syntax: no backreferences or lookaround)"
        ) from None


def too_long(url: str, limit: int) -> bool:
    """Whether ``url`` is past ``limit`` characters (0: no limit), and so not matched at all."""
    return bool(limit) and len(url) > limit
