"""The standfirst: the lead paragraph a page shows with its article and declares as its description.

Written by the newsroom and shown under the headline, it is article text; trafilatura leaves
it out (its classes read "teaser", "intro", "lead"), and so do declared ``articleBody`` s.
The page's description (JSON-LD, ``og:description`` or ``<meta name="description">``)
tells which paragraph it is: one that says the description, whole or cut short on either side.
"""

from __future__ import annotations

import lxml.html

from corpus.article import has_words, normalize

# A description shorter than this is a label or a site's motto, not a lead paragraph.
MIN_WORDS = 8
# Where one side is cut short, the shorter must still be this long to identify the paragraph.
MIN_SHARED_CHARS = 40
_CUT = ".… "
_PREFIX_CHARS = 20
# Paragraphs that start like the description, outside footers and menus: a site's motto shown
# in its footer is often its pages' description too.
_CANDIDATES = (
    "//p[starts-with(normalize-space(.), $prefix)][not(ancestor::footer or ancestor::nav)]"
)


def shown_standfirst(tree: lxml.html.HtmlElement, description: str | None) -> str | None:
    """The text of the first paragraph of ``tree`` that says ``description``, if there is one."""
    if not description or not has_words(description, MIN_WORDS):
        return None
    declared = normalize(description)
    stem = declared.rstrip(_CUT)
    prefix = declared[:_PREFIX_CHARS]
    for paragraph in tree.xpath(_CANDIDATES, prefix=prefix):
        text = normalize(paragraph.text_content())
        shown = text.rstrip(_CUT)
        if (
            text == declared
            or len(shown) >= MIN_SHARED_CHARS
            and stem.startswith(shown)
            or len(stem) >= MIN_SHARED_CHARS
            and text.startswith(stem)
        ):
            return text
    return None


def with_standfirst(lines: list[str], standfirst: str | None) -> list[str]:
    """``lines`` led by ``standfirst`` when they do not say it already."""
    if not standfirst or not lines:
        return lines
    opening = standfirst[:MIN_SHARED_CHARS]
    if any(opening in line for line in lines):
        return lines
    return [standfirst, *lines]
