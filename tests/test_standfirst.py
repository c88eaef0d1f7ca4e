"""The standfirst a page shows and declares as its description leads the article's text."""

from __future__ import annotations

from html import escape

import lxml.html

from corpus.extract import ExtractionOptions, extract_article
from corpus.standfirst import shown_standfirst, with_standfirst
from sitefixture.text import paragraphs

URL = "http://127.0.0.1:8000/news/2026/11/20/treaty"
BODY = paragraphs("standfirst", True, count=6)
LEAD = "Caracas and Moscow sign a treaty that binds their state oil companies for the next twenty years."


def page(description: str | None, lead: str = LEAD) -> str:
    """An article whose standfirst sits in a teaser block, which trafilatura leaves out."""
    meta = (
        f'<meta property="og:description" content="{escape(description)}">' if description else ""
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A story</title>{meta}'
        "</head><body><main><article><h1>A story</h1>"
        f'<div class="teaser-text"><p>{escape(lead)}</p></div>'
        + "".join(f"<p>{escape(p)}</p>" for p in BODY)
        + "</article></main></body></html>"
    )


def paragraphs_of(html: str, **options: object) -> list[str]:
    article = extract_article(html, URL, "utf-8", ExtractionOptions(**options))
    assert article is not None
    return article.paragraphs


def test_the_declared_standfirst_leads_the_text() -> None:
    assert paragraphs_of(page(LEAD)) == [LEAD, *BODY]
    # a source's standfirst = false (or the rule switched off): trafilatura leaves the teaser out
    assert paragraphs_of(page(LEAD), standfirst=False) == BODY
    assert paragraphs_of(page(LEAD), rules_off=frozenset({"standfirst"})) == BODY


def test_a_description_cut_short_or_longer_than_the_paragraph_still_names_it() -> None:
    assert paragraphs_of(page(LEAD[:60] + "…"))[0] == LEAD
    longer = LEAD + " Both governments expect the first shipments in the spring."
    assert paragraphs_of(page(longer))[0] == LEAD


def test_no_standfirst_without_a_description_the_page_shows() -> None:
    assert paragraphs_of(page(None)) == BODY
    elsewhere = (
        "Oil output in the Orinoco belt rose for the third month in a row, the ministry said."
    )
    assert paragraphs_of(page(elsewhere)) == BODY
    # a few words are a motto or a label, not a lead
    assert (
        paragraphs_of(page("News from Caracas and Moscow", lead="News from Caracas and Moscow"))
        == BODY
    )


def test_a_motto_in_the_footer_is_no_standfirst() -> None:
    motto = "The independent voice of the Caribbean since 1998, read by a million people every day."
    html = page(motto, lead="Caracas and Moscow sign a treaty.").replace(
        "</main>", f"</main><footer><p>{escape(motto)}</p></footer>"
    )
    assert motto not in paragraphs_of(html)
    assert (
        shown_standfirst(lxml.html.fromstring(f"<div><nav><p>{motto}</p></nav></div>"), motto)
        is None
    )


def test_a_standfirst_the_text_holds_already_is_not_repeated() -> None:
    tree = lxml.html.fromstring(f"<div><p>{escape(LEAD)}</p></div>")
    assert shown_standfirst(tree, LEAD) == LEAD
    assert with_standfirst([LEAD, *BODY], LEAD) == [LEAD, *BODY]
    assert with_standfirst([], LEAD) == []
