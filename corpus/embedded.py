"""The article HTML a script-rendered page carries in its hydration data.

Pages built in the browser (Next.js, Nuxt and the like) often ship the article as
an HTML string inside an inline script: ``{"contentHtml": "<p>...</p>", ...}``.
When the page's own markup holds no text, that string is the body. The finder
reads JSON string literals only; it runs no script.
"""

from __future__ import annotations

import json
import re

import lxml.html

from corpus.boilerplate import with_head_of

# A JSON string literal, escapes included.
_STRING = re.compile(r'"((?:[^"\\]|\\.){200,})"', re.DOTALL)
_PARAGRAPH = re.compile(r"<p[\s>]", re.IGNORECASE)
_ESCAPED_PARAGRAPH = re.compile(r"\\u003cp[\s>\\]|<p[\s>]", re.IGNORECASE)
# Fewer paragraphs than this is a teaser or a caption, not an article.
MIN_PARAGRAPHS = 3
# Scripts shorter than this hold configuration, not content.
MIN_SCRIPT_CHARS = 1000


def _decoded(literal: str) -> str | None:
    try:
        return json.loads(f'"{literal}"')
    except ValueError:
        return None


def embedded_html(tree: lxml.html.HtmlElement) -> str | None:
    """The longest HTML string with paragraphs in the page's inline scripts; ``None`` if there is none."""
    best: str | None = None
    for script in tree.iter("script"):
        code = script.text or ""
        if script.get("src") or len(code) < MIN_SCRIPT_CHARS or not _ESCAPED_PARAGRAPH.search(code):
            continue
        for found in _STRING.finditer(code):
            if len(_ESCAPED_PARAGRAPH.findall(found.group(1))) < MIN_PARAGRAPHS:
                continue
            text = _decoded(found.group(1))
            if (
                text
                and len(_PARAGRAPH.findall(text)) >= MIN_PARAGRAPHS
                and len(text) > len(best or "")
            ):
                best = text
    return best


def embedded_document(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """A page of the embedded article HTML under the original ``<head>``; ``None`` if there is none."""
    html = embedded_html(tree)
    if html is None:
        return None
    return with_head_of(
        tree, lxml.html.document_fromstring(f"<html><body><article>{html}</article></body></html>")
    )
