"""Each kind of boilerplate the seeds show is left out, inside the article markup too.

The furniture sits in neutral ``<p>``/``<ul>`` markup inside the article body,
where class names give trafilatura no hint, so only our rules can remove it.
"""

from __future__ import annotations

import json
from html import escape

import pytest

from corpus.boilerplate import PageSignals, furniture_rule, is_furniture
from corpus.extract import ExtractionOptions, extract_article
from sitefixture.text import paragraphs

URL = "http://127.0.0.1:8000/news/2026/11/20/moscow-and-caracas-sign-deal"
TITLE = "Moscow and Caracas sign an energy deal"
BODY = paragraphs("boilerplate", True)


def page(
    before: str = "", after: str = "", middle: str = "", head: str = "", body: list[str] = BODY
) -> str:
    """An article page with ``before``/``middle``/``after`` furniture inside its body markup."""
    half = len(body) // 2
    text = "\n".join(f"<p>{escape(p)}</p>" for p in body[:half]) + middle
    text += "\n".join(f"<p>{escape(p)}</p>" for p in body[half:])
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>{head}</head>
<body><main><div class="content"><h1>{TITLE}</h1>{before}{text}{after}</div></main></body></html>"""


def links(*titles: str) -> str:
    return "".join(f'<p><a href="/news/{n}">{escape(t)}</a></p>' for n, t in enumerate(titles))


def body_of(html: str, **options: object) -> list[str]:
    article = extract_article(html, URL, "utf-8", ExtractionOptions(**options))
    assert article is not None
    return article.paragraphs


CASES = {
    # seed 003: navigation menus around the article
    "menu": {
        "before": "<ul>"
        + "".join(
            f'<li><a href="/{w}">{w}</a></li>'
            for w in ("Trujillo", "Táchira", "Mérida", "Andes Legales")
        )
        + "</ul>",
        "forbidden": ["Trujillo", "Táchira", "Andes Legales"],
    },
    # seed 002: subscription prompts at the end
    "subscription": {
        "after": "<p>Subscribe to continue reading our coverage of Latin America.</p>"
        "<p>Suscríbete para seguir leyendo.</p><p>Sign up for the morning briefing</p>",
        "forbidden": ["Subscribe", "Suscríbete", "Sign up"],
    },
    # seed 004: a tag cloud first, "Related Posts" last
    "tags-and-related": {
        "before": "<p>Tags: Venezuela, Russia, Oil, Energy, Diplomacy</p>",
        "after": "<h3>Related Posts</h3>"
        + links(
            "Kremlin hosts Venezuelan delegation for talks",
            "Oil output rises again in the Orinoco belt",
        ),
        "forbidden": [
            "Tags:",
            "Related Posts",
            "Kremlin hosts Venezuelan delegation",
            "Orinoco belt",
        ],
    },
    # "read also" links in the middle of the text
    "read-also": {
        "middle": '<p>Read also: <a href="/news/9">Russian banks open branches in Caracas this week</a></p>'
        + links("Lavrov defends Caracas at the United Nations general assembly"),
        "forbidden": [
            "Read also",
            "Russian banks open branches",
            "Lavrov defends Caracas at the United",
        ],
    },
    # image credits and captions
    "captions": {
        "middle": '<figure><img src="/a.jpg"><figcaption>Workers at an oil field near Maracaibo.</figcaption></figure>'
        "<p>Photo: Juan Pérez/Reuters</p>",
        "forbidden": ["Maracaibo", "Juan Pérez"],
    },
    # a byline and dateline before the text
    "byline": {
        "before": "<p>By Ana Pérez</p><p>Updated 20.11.2026, 14:05</p>",
        "forbidden": ["Ana Pérez", "Updated"],
    },
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_boilerplate_kind_is_left_out(kind: str) -> None:
    case = dict(CASES[kind])
    forbidden = case.pop("forbidden")
    kept = body_of(page(**case))
    assert kept == BODY
    for phrase in forbidden:
        assert all(phrase not in line for line in kept), phrase


def test_headline_repeated_in_the_body_and_exact_repeats_go() -> None:
    kept = body_of(page(before=f"<p>{TITLE}</p>", middle=f"<p>{escape(BODY[0])}</p>"))
    assert kept == BODY


def test_a_standfirst_that_is_the_first_paragraph_stays() -> None:
    lead = "Russia and Venezuela agreed on Thursday to expand their energy partnership for ten more years."
    head = f'<meta property="og:description" content="{lead}">'
    standalone = f"""<!DOCTYPE html><html lang="en"><head><title>{TITLE}</title>{head}</head><body><main>
<div class="content"><h1>{TITLE}</h1><div class="intro"><p>{lead}</p></div>
<div class="text">{"".join(f"<p>{escape(p)}</p>" for p in BODY)}</div></div></main></body></html>"""
    assert body_of(standalone)[-len(BODY) :] == BODY
    # the description repeats the first paragraph of the body: that paragraph is article text
    assert body_of(page(head=head, body=[lead, *BODY])) == [lead, *BODY]


def test_exclude_selectors_remove_blocks_and_body_selector_narrows() -> None:
    furniture = (
        '<div class="promo"><p>'
        + "An unrelated promotion for a travel package in the Caribbean. " * 3
        + "</p></div>"
    )
    html = page(middle=furniture)
    assert any("Caribbean" in line for line in body_of(html))
    assert body_of(html, exclude_selectors=(".promo",)) == BODY
    two_columns = html.replace(
        "</main>",
        '<div class="sidebar">'
        + "<p>"
        + "Sidebar text about football results. " * 20
        + "</p></div></main>",
    )
    assert body_of(two_columns, body_selector="div.content", exclude_selectors=(".promo",)) == BODY
    # a selector that matches nothing leaves the page whole rather than empty
    assert body_of(page(), body_selector="div.missing") == BODY


def test_metadata_comes_from_json_ld_first() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Fixture"},
            {
                "@type": "NewsArticle",
                "headline": "Moscow and Caracas sign an energy deal",
                "author": [
                    {"@type": "Person", "name": "Ana Pérez"},
                    {"@type": "Person", "name": "Iván Gómez (ig)"},
                ],
                "datePublished": "2026-11-20T14:05:00+01:00",
                "publisher": {"@type": "Organization", "name": "Fixture News"},
            },
        ],
    }
    head = (
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        f'<meta property="og:title" content="{TITLE} | Fixture News">'
    )
    article = extract_article(page(head=head), URL, "utf-8")
    assert article is not None
    assert article.title == TITLE
    assert article.authors == ["Ana Pérez", "Iván Gómez"]
    assert article.published == "2026-11-20T14:05:00+01:00"
    assert article.sitename == "Fixture News"
    assert article.language == "en"


def test_sentences_that_start_like_a_prompt_are_kept() -> None:
    page_signals = PageSignals()
    for sentence in (
        "Teilen der Opposition zufolge wurde der Vertrag ohne Debatte ratifiziert.",
        "Popular protests erupted in Caracas on Monday after the announcement.",
        "Related to this, the minister said the talks would continue in Moscow.",
        "Recommended reserves were exceeded, the Venezuelan central bank said.",
    ):
        assert not is_furniture(sentence, page_signals), sentence
    for label in ("Teilen", "Popular", "Comments 4", "Related Posts", "Tags: Venezuela, Russia"):
        assert is_furniture(label, page_signals), label


def test_headings_of_a_table_of_contents_addresses_and_table_cells_stay() -> None:
    headings = ["Why the deal matters for Caracas", "What Moscow gets in return"]
    contents = "<ul>" + "".join(
        f'<li><a href="#part-{n}">{escape(h)}</a></li>' for n, h in enumerate(headings)
    )
    contents += f'<li><a href="{URL}#part-1">{escape(headings[1])}</a></li></ul>'
    address = "https://www.example.org/energy/report-2026.pdf"
    mail = "energy.desk.caracas@example.org"
    operator = "Petróleos de Venezuela Sociedad Anónima"
    middle = (
        f'\n<h2 id="part-0">{escape(headings[0])}</h2>\n'
        f'<p><a href="{address}">{address}</a></p>\n'
        f'<p>Mail: <a href="mailto:{mail}">{mail}</a></p>\n'
        f'<h2 id="part-1">{escape(headings[1])}</h2>\n'
        "<table><tr><th>Field</th><th>Operator</th></tr>"
        f'<tr><td>Carabobo</td><td><a href="/companies/pdvsa">{operator}</a></td></tr></table>\n'
    )
    related = links("Oil output rises again in the Orinoco belt")
    text = "\n".join(body_of(page(before=contents, middle=middle, after=related)))
    for kept in (*headings, address, mail, operator):
        assert kept in text, kept
    # a link to another page is still furniture
    assert "Orinoco" not in text


def test_a_heading_that_links_to_the_page_itself_or_names_a_place_stays() -> None:
    # A permalink (the page's own address, relative or absolute) and an <a name> are no teasers.
    permalink = "Why the deal matters for Caracas and for Moscow"
    named = "What Moscow gets in return for the loans"
    relative = URL.removeprefix("http://127.0.0.1:8000")
    middle = (
        f'<h2><a href="{relative}">{escape(permalink)}</a></h2>'
        f'<h2><a name="part-2">{escape(named)}</a></h2>'
        f'<p><a href="http://127.0.0.1:8000/news/2026/11/20/another-story">{escape(permalink)} too</a></p>'
    )
    text = "\n".join(body_of(page(middle=middle)))
    assert permalink in text.splitlines() and named in text
    # the same path on another host is another page
    elsewhere = f'<h2><a href="http://127.0.0.2:8000{relative}">{escape(permalink)}</a></h2>'
    assert permalink not in body_of(page(middle=elsewhere))


def test_a_labelled_date_is_content_unless_the_label_names_a_date() -> None:
    signals = PageSignals()
    for content in ("Termin: 29.02.2026, 19 Uhr", "Einsendeschluss: 03.11.2026 (Poststempel)"):
        assert not is_furniture(content, signals), content
    for dateline in ("Aktualisiert: 20.11.2026, 14:05", "Datum: 20.11.2026", "20.11.2026, 14:05"):
        assert is_furniture(dateline, signals), dateline


def test_a_link_on_a_line_of_its_own_inside_a_paragraph_of_text_stays() -> None:
    # A paragraph of <br>-separated lines cites a venue; the link fills its line, not its paragraph.
    venue = "Colosseum Theater Essen"
    middle = (
        "<p>The signing ceremony takes place on Friday evening at the<br>"
        f'<a href="http://127.0.0.1:8001/venue">{venue}</a><br>'
        "and tickets for the public part cost 25 euros at the box office.</p>"
    )
    teaser = "Oil output rises again in the Orinoco belt"
    kept = body_of(page(middle=middle, after=links(teaser)))
    assert venue in kept and BODY[0] in kept
    assert all(teaser not in line for line in kept)
    # The same link text also standing alone on the page is a teaser: the rule takes it.
    kept = body_of(page(middle=middle, after=links(venue, teaser)))
    assert all(venue not in line for line in kept)
    assert "and tickets for the public part cost 25 euros at the box office." in kept


def test_the_captions_of_a_gallery_are_its_text() -> None:
    # A slideshow says what it has to say under its pictures: its captions are kept.
    looks = [
        f"Look {n}: a bowler hat, a set of false lashes and a black suit make a costume "
        f"that takes ten minutes and costs less than {n + 12} pounds in any high street shop."
        for n in range(8)
    ]
    figures = "".join(
        f'<figure><img src="/look-{n}.jpg"><figcaption>{escape(text)}</figcaption></figure>'
        for n, text in enumerate(looks)
    )
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Eight costumes</title>'
        "</head><body><main><article><h1>Eight costumes</h1>"
        f"<p>Halloween is close, and these are the easiest looks.</p>{figures}"
        "</article></main></body></html>"
    )
    text = "\n".join(body_of(html))
    for look in looks:
        assert look in text
    # One captioned picture in an article is no gallery: its caption goes (CASES["captions"]).


def test_prompts_of_related_content_paywalls_logins_newsletters_and_ads_go() -> None:
    signals = PageSignals()
    for prompt in (
        "Das Thema könnte dich auch interessieren:",
        "You might also like",
        "Weitere Themen",
        "Mehr Themen:",
        "Weitere Beiträge aus der Kolumne:",
        "Empfohlene Beiträge",
        "Zum Weiterlesen:",
        "Schon gelesen?",
        "Contenido Relacionado",
        "NOTAS RELACIONADAS",
        "Más sobre Economía",
        "Pour lire la suite",
        "Pour accéder en illimité",
        "To view the full story, please subscribe to The Daily Example.",
        "To continue reading, log in or create a free account.",
        "Du musst eingeloggt sein, um Kommentare zu schreiben!",
        "Sie sind aktuell nicht eingeloggt.",
        "Keine Kommentare (Kommentare erscheinen erst nach unserer Freigabe)",
        "Zum Newsletter anmelden",
        "Never miss the latest news by signing up to our newsletter today!",
        "Síguenos en Telegram, Instagram, Facebook y Twitter",
        "Follow The Daily Example on Twitter and Instagram",
        "Anzeige, enthält Affiliate Links",
        "*Werbung. Dieser Beitrag enthält Werbung für eine Marke.",
        "Inhaltsverzeichnis",
        "Next article",
    ):
        assert is_furniture(prompt, signals), prompt
    for sentence in (
        "Weitere Themen der Konferenz waren die Energiepreise und der Ausbau der Netze.",
        "Keine Kommentare wollte der Sprecher des Ministeriums dazu abgeben.",
        "Werbung ist teuer, sagte der Händler, und sie wirkt immer weniger.",
        "Never missing a session, the senator voted against the bill on Monday.",
    ):
        assert not is_furniture(sentence, signals), sentence


def test_image_credits_with_the_labels_of_cover_pictures_and_copyright_go() -> None:
    signals = PageSignals()
    for credit in (
        "Titelbild: Christophe Example/ABACA/picture-alliance",
        "Beitragsbild: Stefan Example",
        "Bildquelle: Peter Example",
        "Copyright: Gisele Example",
        "Fot. Lukasz Example / Agencja Gazeta",
    ):
        assert is_furniture(credit, signals), credit
    assert not is_furniture("Fotografie ist ihr Beruf. Sie arbeitet seit 2010 in Berlin.", signals)


def test_a_table_row_of_one_cell_holding_a_prompt_goes_and_data_rows_stay() -> None:
    signals = PageSignals()
    for row in (
        "| Weitere Artikel zum Thema |",
        "| | Related articles | |",
        "| Kommentare insgesamt: 0 | |",
    ):
        assert is_furniture(row, signals), row
    for row in ("| Weitere Artikel | 12 |", "| Kommentare | 4 | 7 |", "| Carabobo | Orinoco |"):
        assert not is_furniture(row, signals), row


def test_a_blog_posts_meta_line_goes() -> None:
    signals = PageSignals()
    for meta in (
        "January 13, 2020 at 08:45 AM | categories: Python, Mercurial | View Comments",
        "Abgelegt unter: Literatur, Medienwandel | Tags: iPad, Typografie",
        "March 2, 2021 | 3 Comments",
    ):
        assert is_furniture(meta, signals), meta
    for line in (
        "Berlin | Hamburg | München",
        "Comments from readers poured in | the editor said on Monday that the paper would answer",
    ):
        assert not is_furniture(line, signals), line


def test_rights_reservations_and_advertising_disclosures_go() -> None:
    signals = PageSignals()
    for notice in (
        "Copyright @ 2026 Example Media Group. All Rights Reserved",
        (
            "Copyright 2026 Example Television Corp. All rights reserved. This material may not be"
            " published, broadcast, rewritten or redistributed."
        ),
        "Materiał chroniony prawem autorskim - zasady przedruków określa regulamin.",
        "This post contains references to products from one or more of our advertisers.",
        (
            "We recommend the best products through an independent review process. We may receive"
            " compensation if you visit partners we recommend."
        ),
        "Dieser Artikel enthält Affiliate-Links und werbende Inhalte.",
        "Letzte Aktualisierung am 2.02.2026 / Bei den Verlinkungen handelt es sich um Affiliate Links",
    ):
        assert furniture_rule(notice, signals) == "notices", notice
    # a report about rights reserved is text, and so is a long paragraph that mentions them
    for text in (
        "The studio said it reserved its rights and would appeal the ruling.",
        " ".join(
            ["The court heard that the label printed all rights reserved on every sleeve."] * 4
        ),
    ):
        assert not is_furniture(text, signals), text


def test_a_press_contacts_phone_and_fax_lines_go() -> None:
    signals = PageSignals()
    for line in ("Tel.: +49 30 1234567", "Fax: (030) 78 95 47 79", "Telefon 0201-2402-0"):
        assert furniture_rule(line, signals) == "contact", line
    for line in (
        "Telefonieren am Steuer bleibt verboten, sagte der Minister am Montag in Berlin.",
        "Phone makers shipped 300 million handsets in the third quarter, the firm said.",
    ):
        assert not is_furniture(line, signals), line


def test_a_reading_time_goes_with_the_byline() -> None:
    signals = PageSignals()
    for line in ("Lesezeit: 2 Minuten", "Estimated reading time: 6 minutes", "5 min read"):
        assert furniture_rule(line, signals) == "byline-dateline", line
    assert not is_furniture("Reading times of news fell in 2025.", signals)


def test_numbered_figure_captions_go_with_the_image_credits() -> None:
    signals = PageSignals()
    for line in ("Abbildung 4: Eine klassische Schwachschicht", "Figure 2: Font sizes of the axes"):
        assert furniture_rule(line, signals) == "caption-credit", line
    assert not is_furniture("Figures from 2025 show that 2 of 3 readers skim.", signals)


def test_agency_credits_and_wire_sign_offs_go() -> None:
    signals = PageSignals()
    for line in ("Marco Example, Ski-Star aus der Schweiz. © AFP / JANE EXAMPLE", "© dpa"):
        assert furniture_rule(line, signals) == "caption-credit", line
    for line in ("aja/PAP", "(dpa)"):
        assert furniture_rule(line, signals) == "byline-dateline", line
    for line in ("Die AP meldete das am Montag.", "AP", "(AP) - The president said on Monday"):
        assert not is_furniture(line, signals), line


def test_letters_prompts_sign_up_endings_and_disclaimers_go() -> None:
    signals = PageSignals()
    for line in (
        "Submit your letter to the editor via this form.",
        "We want to hear what you think about this article. Submit a letter to the editor.",
        "Do you want to be informed of our actions? Sign up here",
    ):
        assert furniture_rule(line, signals) == "prompt", line
    assert furniture_rule("(Alle Angaben ohne Gewähr)", signals) == "notices"
    for line in (
        "He wrote a letter to the editor of the local paper last week.",
        "Alle Angaben ohne Gewähr zu machen, sei unmöglich, sagte der Sprecher.",
    ):
        assert not is_furniture(line, signals), line


def test_placeholders_of_embedded_content_and_feedback_prompts_go() -> None:
    signals = PageSignals()
    for line in (
        "Externer Inhalt nicht verfügbar",
        "Empfohlener redaktioneller Inhalt",
        "Zur Anzeige aktiviere bitte die Einstellungen in den Privatsphäre-Einstellungen.",
        "Klicken Sie auf den unteren Button, um den Inhalt von www.example.org zu laden.",
        "Wie hat Ihnen dieser Artikel gefallen?",
        "Ihre Meinung ist uns wichtig. Senden Sie uns Ihr Feedback an: briefe@example.org",
    ):
        assert furniture_rule(line, signals) == "prompt", line
    for line in ("Lesedauer: 4 Minuten", "- 3 Minuten Lesezeit"):
        assert furniture_rule(line, signals) == "byline-dateline", line
    disclosure = "We independently select everything we recommend. Buying through us may earn us a commission."
    assert furniture_rule(disclosure, signals) == "notices"
    assert not is_furniture(
        "Externe Inhalte prüft die Redaktion seit 2025 mit zwei Kollegen.", signals
    )


def test_short_lines_that_advertise_a_newsletter_go_and_long_paragraphs_about_one_stay() -> None:
    signals = PageSignals()
    for line in (
        "For the day's top stories from the region, sign up to our free newsletters.",
        "Der Morgen-Newsletter bringt Ihnen werktags um sechs Uhr das Wichtigste aus der Stadt.",
        "- Morning Brief: our weekday newsletter, straight to your inbox",
        "Newsletter: Sport inside",
    ):
        assert furniture_rule(line, signals) == "newsletter", line
    report = (
        "The publisher said its newsletters now reach 1.2 million readers a week, up from 800,000 "
        "a year ago, and that paid subscriptions to the politics edition had doubled since the "
        "spring, while advertising revenue from the free editions had fallen for a third quarter."
    )
    assert not is_furniture(report, signals)
    assert body_of(page(after=f"<p>{escape(report)}</p>"))[-1] == report
