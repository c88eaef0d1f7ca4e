"""Short articles enter the corpus; short pages that are no article stay out, told apart by the
page's own signals (article markup, teaser blocks, a 404 title), not by their length."""

from __future__ import annotations

import json

import pytest

from corpus.extract import extract_article
from corpus.filters import rejection_reason

URL = "https://wire.example/2026/11/30/oil-talks-resume"
BRIEF = [  # 58 words: a wire brief
    "CARACAS, Nov 30 (Wire) - Venezuela and Russia resumed talks on oil output on Monday, officials said.",
    (
        "The energy ministers met in Caracas for three hours and agreed to meet again in Moscow next month, "
        "according to a statement read on state television."
    ),
    "Neither side gave figures for the planned output.",
]
TEASERS = [  # what a section, tag or search page lists: a linked headline and a line of summary
    (
        "Oil prices climb after the Caracas meeting",
        "Markets reacted on Tuesday to the talks between the two ministers.",
    ),
    (
        "Moscow hosts energy forum next month",
        "Delegations from twelve countries are expected at the forum.",
    ),
    (
        "Refinery workers strike for a second day",
        "The union says the strike will go on until pay talks resume.",
    ),
    (
        "New pipeline plan meets opposition",
        "Farmers along the route say they were never asked for consent.",
    ),
]
RAIL = "".join(  # a "more news" rail of teasers beside the brief
    f'<article class="teaser"><h3><a href="/2026/11/{n}/story">{title}</a></h3></article>'
    for n, (title, _) in enumerate(TEASERS)
)
NAV = '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav>'


def brief_page(head: str, wrap: str = "div", rail: bool = True) -> str:
    body = "".join(f"<p>{line}</p>" for line in BRIEF)
    return (
        f"<html><head><title>Oil talks resume | Wire</title>{head}</head><body>{NAV}"
        f'<{wrap} class="story"><h1>Oil talks resume</h1>{body}</{wrap}>'
        f"{RAIL if rail else ''}<footer>© Wire</footer></body></html>"
    )


def verdict(html: str, url: str = URL) -> str | None:
    return rejection_reason(extract_article(html, url))


LD_ARTICLE = (
    '<script type="application/ld+json">'
    + json.dumps(
        {
            "@type": "NewsArticle",
            "headline": "Oil talks resume",
            "datePublished": "2026-11-30T09:00:00Z",
        }
    )
    + "</script>"
)


@pytest.mark.parametrize(
    "html",
    [
        brief_page(LD_ARTICLE),  # JSON-LD NewsArticle, a teaser rail beside it
        brief_page('<meta property="og:type" content="article">'),  # Open Graph only, with the rail
        brief_page("", wrap="article", rail=False),  # only an <article> element around the text
        brief_page(
            "", wrap='div itemscope itemtype="https://schema.org/NewsArticle"', rail=False
        ).replace(
            '</div itemscope itemtype="https://schema.org/NewsArticle">', "</div>"
        ),  # microdata
    ],
    ids=["json-ld", "og-type", "article-element", "microdata"],
)
def test_a_short_wire_item_enters_the_corpus(html: str) -> None:
    article = extract_article(html, URL)
    assert article is not None and 40 <= article.words < 100
    assert rejection_reason(article) is None
    assert article.paragraphs == BRIEF


def teaser_page(head: str = "", wrap_teasers: bool = True) -> str:
    items = "".join(
        (
            f'<article><h2><a href="/2026/11/{n}/story">{title}</a></h2><p>{summary}</p></article>'
            if wrap_teasers
            else f'<div class="item"><h2><a href="/2026/11/{n}/story">{title}</a></h2><p>{summary}</p></div>'
        )
        for n, (title, summary) in enumerate(TEASERS)
    )
    return f"<html><head><title>Energy | Wire</title>{head}</head><body>{NAV}<h1>Energy</h1><main>{items}</main></body></html>"


ERROR_PAGE = (
    "<html><head><title>404 - Page not found | Wire</title></head><body>"
    + NAV
    + '<article class="error-404"><h1>Page not found</h1><p>Sorry, the page you were looking for could not be '
    "found. It may have been moved, renamed or deleted, or the address may have been typed wrongly. Please "
    "check the address, go back to the previous page or use the search box above to find the story you were "
    "looking for on our site.</p></article></body></html>"
)


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (teaser_page(), "listing"),  # a section page: teasers in <article> elements
        (
            teaser_page('<meta property="og:type" content="article">'),
            "listing",
        ),  # even when it says "article"
        (
            teaser_page(
                '<script type="application/ld+json">{"@type": "CollectionPage", "name": "Energy"}</script>',
                wrap_teasers=False,
            ),
            "listing",
        ),  # a tag page declared as a collection
        (teaser_page(wrap_teasers=False), "not-article"),  # a page of teasers with no markup at all
        (ERROR_PAGE, "error"),  # a soft 404 with its message in an <article>
    ],
    ids=["section", "section-og-article", "tag-collection", "bare-list", "error"],
)
def test_a_short_page_that_is_no_article_stays_out(html: str, reason: str) -> None:
    article = extract_article(html, "https://wire.example/energy")
    assert article is not None and article.words < 100
    assert rejection_reason(article) == reason


def test_below_the_minimum_even_an_article_stays_out() -> None:
    short = brief_page(LD_ARTICLE, rail=False).replace(BRIEF[1], "").replace(BRIEF[2], "")
    assert verdict(short) == "too-short"
    assert (
        rejection_reason(extract_article(brief_page(LD_ARTICLE), URL), min_words=100) == "too-short"
    )
