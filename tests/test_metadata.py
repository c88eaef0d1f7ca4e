"""Headline and authors from what a page declares: the publisher is no author, byline words go."""

from __future__ import annotations

import json

import pytest

from corpus.authors import (
    is_publisher,
    looks_like_full_name,
    split_authors,
    without_affiliations,
    without_byline_word,
)
from corpus.extract import extract_article
from corpus.metadata import StructuredData
from corpus.options import ExtractionOptions

BODY = "".join(
    f"<p>Paragraph {n} says what happened in Caracas and Moscow on that day of talks.</p>"
    for n in range(8)
)


def page(authors: list[str], byline: str = "", publisher: str = "Daily Planet") -> str:
    ld = {
        "@type": "NewsArticle",
        "headline": "Talks go on",
        "author": [{"@type": "Person", "name": a} for a in authors],
        "publisher": {"@type": "Organization", "name": publisher},
    }
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script>'
        f'<meta property="og:site_name" content="{publisher}"></head>'
        f'<body><article><h1>Talks go on</h1><p class="byline">{byline}</p>{BODY}</article></body></html>'
    )


def test_byline_words_are_dropped_but_name_particles_stay() -> None:
    assert without_byline_word("Autor Monika Bolliger") == "Monika Bolliger"
    assert without_byline_word("By Jane Roe") == "Jane Roe"
    assert without_byline_word("Capital Von Jemima Kelly") == "Jemima Kelly"
    assert without_byline_word("von der Leyen") == "von der Leyen"
    assert split_authors(["Ana Pérez and Luis Gómez (photos)"]) == ["Ana Pérez", "Luis Gómez"]


def test_the_publisher_is_known_under_its_names() -> None:
    data = StructuredData(publishers=["Deutsche Welle"])
    assert is_publisher("Deutsche Welle", data, "www.dw.com")
    assert is_publisher("n-tv NACHRICHTEN", StructuredData(), "www.n-tv.de")
    assert is_publisher("STERN.de", StructuredData(), "www.stern.de")
    assert not is_publisher("Sternberg Anna", StructuredData(), "www.stern.de")
    assert looks_like_full_name("Jemima Kelly") and looks_like_full_name("松岡大地")
    assert not looks_like_full_name("APA") and not looks_like_full_name("Amw")


def test_authors_that_are_only_the_publisher_give_way_to_a_named_byline() -> None:
    article = extract_article(
        page(["Daily Planet"], byline="By Lois Lane"), "https://dailyplanet.example/talks"
    )
    assert article is not None and article.authors == ["Lois Lane"]


def test_the_publisher_stays_when_no_person_is_named() -> None:
    for byline in ("", "APA"):
        article = extract_article(
            page(["Daily Planet"], byline=byline), "https://dailyplanet.example/talks"
        )
        assert article is not None and article.authors == ["Daily Planet"]


def test_declared_people_are_kept_with_the_byline_word_dropped() -> None:
    article = extract_article(
        page(["Autor Monika Bolliger", "Daily Planet"]), "https://dailyplanet.example/talks"
    )
    assert article is not None and article.authors == ["Monika Bolliger", "Daily Planet"]


def body_page(body: str, publisher: str = "Daily Planet") -> str:
    """A page whose declared author is only the publisher, with ``body`` as its article."""
    ld = {
        "@type": "NewsArticle",
        "headline": "Talks go on",
        "author": {"@type": "Organization", "name": publisher},
        "publisher": {"@type": "Organization", "name": publisher},
    }
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head>'
        f"<body><article><h1>Talks go on</h1>{body}</article>"
        '<aside><p>More: <a href="/author/clark-kent">Clark Kent</a> on the next story</p></aside></body></html>'
    )


def authors_of(
    body: str, url: str = "https://dailyplanet.example/talks", publisher: str = "Daily Planet"
) -> list[str]:
    article = extract_article(body_page(body, publisher), url)
    assert article is not None
    return article.authors


def test_a_bold_byline_paragraph_at_the_start_or_the_end_names_the_authors() -> None:
    assert authors_of(
        "<p>&nbsp;</p><p><strong>Mathatisi Sebusi/Mohalenyane Phakela</strong></p>" + BODY
    ) == ["Mathatisi Sebusi", "Mohalenyane Phakela"]
    assert authors_of(BODY + '<p style="text-align:right"><strong>Lê Phương</strong></p>') == [
        "Lê Phương"
    ]


def test_a_bold_subheading_inside_the_text_names_nobody() -> None:
    middle = BODY[: len(BODY) // 2] + "<p><strong>Key Facts</strong></p>" + BODY[len(BODY) // 2 :]
    assert authors_of(middle) == ["Clark Kent"]  # the teaser's author link is all there is
    assert authors_of("<p><strong>What happened in the talks</strong></p>" + BODY) == ["Clark Kent"]


def test_links_to_author_pages_name_the_authors_of_the_first_byline_only() -> None:
    byline = '<p class="meta">von <a href="/autoren/name/max-kolter">Dr. Max Kolter</a> und <a href="/autoren/name/eva">Eva Roth</a></p>'
    assert authors_of(byline + BODY) == ["Dr. Max Kolter", "Eva Roth"]


def test_a_labeled_byline_line_names_the_author() -> None:
    byline = "<ul><li><strong>Datum</strong> 28.04.2023</li><li><strong>Autorin/Autor</strong> Roman Goncharenko</li></ul>"
    assert authors_of(BODY + byline) == ["Roman Goncharenko"]


def test_a_publisher_named_by_its_initials_is_no_author() -> None:
    byline = "<ul><li>Autor: Roman Goncharenko</li></ul>"
    assert authors_of(
        BODY + byline, "https://www.dw.com/de/talks/a-1", publisher="Deutsche Welle"
    ) == ["Roman Goncharenko"]
    assert is_publisher("Deutsche Welle", StructuredData(), "www.dw.com")
    assert not is_publisher("Daniel Weber", StructuredData(), "www.nytimes.com")


def test_an_element_marked_as_the_byline_names_the_authors_without_its_date() -> None:
    byline = '<div class="article-author">Jane Roe and John Doe <time>Updated Tuesday</time></div>'
    assert authors_of(byline + BODY) == ["Jane Roe", "John Doe"]


def test_a_byline_mark_inside_comments_or_a_sidebar_names_nobody() -> None:
    comments = '<div id="comments"><span class="comment-author">Troll Account</span></div>'
    sidebar = '<div class="sidebar-right"><span class="author">Other Columnist</span></div>'
    assert authors_of(BODY + comments) == ["Clark Kent"]  # only the teaser's author link is left
    assert authors_of(sidebar + BODY) == ["Clark Kent"]


def test_the_most_specific_byline_mark_wins_over_a_looser_one() -> None:
    loose = '<p class="writer-box">Editorial Desk Team</p>'
    specific = '<span class="author">Lois Lane</span>'
    assert authors_of(loose + specific + BODY) == ["Lois Lane"]


def headline_page(
    h1: str, og_title: str | None, title: str, ld: str | None = None, site: str | None = None
) -> str:
    """A page with the given <h1>, og:title, <title> and JSON-LD headline."""
    head = f"<title>{title}</title>"
    if og_title:
        head += f'<meta property="og:title" content="{og_title}">'
    if site:
        head += f'<meta property="og:site_name" content="{site}">'
    if ld:
        head += f'<script type="application/ld+json">{json.dumps({"@type": "NewsArticle", "headline": ld})}</script>'
    return f"<html><head>{head}</head><body><header>{h1}</header><article>{BODY}</article></body></html>"


def headline_of(html: str, prefer: str = "auto") -> str:
    article = extract_article(
        html, "https://kabar.example/2026/talks", options=ExtractionOptions(headline=prefer)
    )
    assert article is not None
    return article.title


def test_an_h1_that_is_the_site_name_is_not_the_headline() -> None:
    # The <title> shows the site name after the headline; the <h1> is that name (no og:site_name).
    logo = "<h1>Kabar tentang Dunia Islam</h1>"
    assert (
        headline_of(
            headline_page(
                logo, "Talks go on in Caracas", "Talks go on in Caracas - Kabar tentang Dunia Islam"
            )
        )
        == "Talks go on in Caracas"
    )
    # The <h1> links to the homepage: the logo, whatever its text.
    linked = '<h1><a href="https://kabar.example/">Kabar</a></h1>'
    assert (
        headline_of(headline_page(linked, "Talks go on in Caracas", "Talks go on in Caracas"))
        == "Talks go on in Caracas"
    )


def test_a_real_h1_still_wins_over_a_different_og_title() -> None:
    page_html = headline_page(
        "<h1>Talks go on in Caracas</h1>", "Caracas talks: what we know", "Caracas talks | Kabar"
    )
    assert headline_of(page_html) == "Talks go on in Caracas"
    # A title whose part after the bar is the longer one is no "headline | site" title.
    page_html = headline_page("<h1>Talks go on</h1>", "Other title", "«Caracas»: - Talks go on")
    assert headline_of(page_html) == "Talks go on"


def test_the_source_can_say_where_the_headline_comes_from() -> None:
    page_html = headline_page(
        "<h1>The h1 headline</h1>",
        "The og headline | Kabar",
        "Title",
        ld="The ld headline",
        site="Kabar",
    )
    assert headline_of(page_html) == "The ld headline"
    assert headline_of(page_html, "h1") == "The h1 headline"
    assert headline_of(page_html, "og") == "The og headline"
    assert headline_of(page_html, "ld") == "The ld headline"
    bare = headline_page("<h1>The h1 headline</h1>", None, "Title")
    assert (
        headline_of(bare, "og") == headline_of(bare, "ld") == "The h1 headline"
    )  # not declared: auto


def test_hidden_controls_and_a_bare_site_name_are_no_headline() -> None:
    # A right-to-left override would show the headline reversed; a BOM or a control hides.
    assert headline_of(headline_page("", None, "\u202eTalks go on\ufeff in Caracas\x07")) == (
        "Talks go on in Caracas"
    )
    # An empty headline before the bar leaves the site name: that is no headline.
    for title in (" | Kabar", "｜Kabar", "· Kabar"):
        assert headline_of(headline_page("", None, title)) == ""
    # A dash opens a quote in Scandinavian headlines, or is a minus sign.
    for title in ("– Angsten vil øke", "- Angsten vil øke", "-5 degrees in Caracas"):
        assert headline_of(headline_page("", None, title)) == title


def test_job_titles_outlets_and_labels_are_no_authors() -> None:
    assert without_affiliations(split_authors(["TOM KRISHER", "AP Auto Writer"])) == ["TOM KRISHER"]
    assert without_affiliations(split_authors(["Troy L. Smith", "Cleveland.com"])) == [
        "Troy L. Smith"
    ]
    assert split_authors(["Finian Cunningham. Sputnik International"]) == ["Finian Cunningham"]
    assert (
        split_authors(["Текст: Венера Ерофеева"])
        == split_authors(["Текст Венера Ерофеева"])
        == ["Венера Ерофеева"]
    )
    assert split_authors(["The Russian and Syrian defense ministries"]) == []
    # What must stay: initials, titles, agencies beside people, a role or outlet when it is all there is.
    assert split_authors(["Miguel A. Herguedas", "Dr. Max Kolter", "Le Figaro et AFP"]) == [
        "Miguel A. Herguedas",
        "Dr. Max Kolter",
        "Le Figaro",
        "AFP",
    ]
    assert without_affiliations(["Paula Steiger", "SDA"]) == ["Paula Steiger", "SDA"]
    assert without_affiliations(["Guardian staff reporter"]) == ["Guardian staff reporter"]
    assert without_affiliations(["Staffan Lindberg", "hessenschau.de"]) == ["Staffan Lindberg"]
    assert split_authors(["Rocío Latorre y José Miguel Wilson Tiempo de lectura"]) == [
        "Rocío Latorre",
        "José Miguel Wilson Tiempo",
    ]


@pytest.mark.parametrize(
    ("declared", "byline", "expected"),
    [
        (["TOM KRISHER", "AP Auto Writer"], "", ["TOM KRISHER"]),
        (["Troy L. Smith", "Cleveland.com"], "", ["Troy L. Smith"]),
        (["Finian Cunningham. Sputnik International"], "", ["Finian Cunningham"]),
        (["Daily Planet"], "Текст: Венера Ерофеева", ["Венера Ерофеева"]),
        (["Daily Planet"], "Finian Cunningham. Sputnik International", ["Finian Cunningham"]),
        (["Daily Planet"], "Troy L. Smith, Cleveland.com", ["Troy L Smith"]),
        (["Daily Planet"], "The Russian and Syrian defense ministries", ["Daily Planet"]),
    ],
)
def test_authors_of_a_page_hold_people_only(
    declared: list[str], byline: str, expected: list[str]
) -> None:
    article = extract_article(page(declared, byline=byline), "https://dailyplanet.example/talks")
    assert article is not None and article.authors == expected
