"""Article text the cleaning must not throw away: each case is text a rule once removed."""

from __future__ import annotations

from html import escape

from corpus.extract import extract_article
from sitefixture.text import paragraphs

URL = "http://127.0.0.1:8000/news/2026/11/20/results"
TITLE = "Regional election results are in"
BODY = paragraphs("recall", True, count=4)


def page(middle: str = "", before: str = "", after: str = "", lang: str = "en") -> str:
    """An article page with ``before``/``middle``/``after`` inside its body markup."""
    text = "".join(f"<p>{escape(p)}</p>" for p in BODY[:2]) + middle
    text += "".join(f"<p>{escape(p)}</p>" for p in BODY[2:])
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><main><article><h1>{TITLE}</h1>{before}{text}{after}</article></main></body></html>"""


def body_of(html: str | bytes, encoding: str | None = "utf-8") -> list[str]:
    article = extract_article(html, URL, encoding)
    assert article is not None
    return article.paragraphs


def test_a_quote_in_a_figure_is_kept_and_its_caption_and_a_picture_go() -> None:
    quote = "We will rebuild every school that the floods destroyed before the next winter comes, the governor said."
    middle = (
        f"<figure><blockquote><p>{quote}</p></blockquote><figcaption>Governor at the press conference</figcaption></figure>"
        '<figure><img src="/a.jpg"><figcaption>Voters queue outside a polling station in Mérida</figcaption></figure>'
    )
    kept = body_of(page(middle))
    assert quote in kept
    assert not any("polling station" in line or "press conference" in line for line in kept)


def test_a_pull_quote_repeating_the_text_goes() -> None:
    said = "No school in the valley will stay closed after the first snow falls this year"
    quote = f"<figure><blockquote><p>“{said}”</p></blockquote></figure>"
    paragraph = f"<p>The governor spoke in Mérida on Tuesday. {said}, she promised.</p>"
    kept = body_of(page(paragraph + quote))
    assert sum(said in line for line in kept) == 1
    # the same figure on a page that does not say it elsewhere is a quote, and stays
    assert f"“{said}”" in body_of(page(quote))


def test_a_table_in_a_figure_is_kept() -> None:
    rows = [
        ("Mérida", "41,204 votes for the governing party"),
        ("Táchira", "38,977 votes for the opposition alliance"),
    ]
    table = "<table>" + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows) + "</table>"
    kept = " ".join(
        body_of(page(f"<figure>{table}<figcaption>Results by state</figcaption></figure>"))
    )
    assert "41,204 votes for the governing party" in kept
    assert "38,977 votes for the opposition alliance" in kept


def test_a_legitimately_repeated_short_line_is_kept() -> None:
    dough = ["200 g flour", "2 eggs", "100 g sugar", "1 pinch of salt"]
    filling = ["250 g almonds", "2 eggs", "1 pinch of salt", "50 g butter"]
    middle = "<h2>Dough</h2><ul>" + "".join(f"<li>{i}</li>" for i in dough) + "</ul>"
    middle += "<h2>Filling</h2><ul>" + "".join(f"<li>{i}</li>" for i in filling) + "</ul>"
    kept = body_of(page(middle))
    assert kept.count("- 2 eggs") == 2
    assert kept.count("- 1 pinch of salt") == 2


def test_a_paragraph_repeated_whole_goes() -> None:
    assert body_of(page(f"<p>{escape(BODY[0])}</p>")).count(BODY[0]) == 1


def test_a_real_short_first_paragraph_is_kept() -> None:
    first = "The polls closed at eight."
    kept = body_of(page(before=f"<p>{first}</p>"))
    assert kept[0] == first


def test_br_separated_text_is_kept() -> None:
    lines = [
        "Turnout was 61 percent.",
        "Observers reported no incidents.",
        "The count went on through the night in the capital and ended after dawn.",
        "The council will certify the results on Friday.",
    ] * 3
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><div id="main"><font size="2"><b>{TITLE}</b><br><br>{"<br>".join(lines)}<br></font></div></body></html>"""
    kept = " ".join(body_of(html))
    for line in set(lines):
        assert line in kept


def test_the_guard_keeps_trafilaturas_text_when_cleaning_removes_most_of_it() -> None:
    # each paragraph is a list item that is mostly a link's text: the rule would empty the article
    items = [
        f'<p><a href="/guide/{n}">{escape(p[:90])}</a>{escape(p[90:130])}</p>'
        for n, p in enumerate(paragraphs("guard", True, count=8))
    ]
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><main><article><h1>{TITLE}</h1>{"".join(items)}</article></main></body></html>"""
    kept = body_of(html)
    assert len(kept) >= 6


def test_an_undeclared_page_that_is_not_utf8_is_decoded_by_its_meta_charset() -> None:
    html = page(lang="de").replace(
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
    )
    html = html.replace(BODY[0], BODY[0] + " Grüße aus Mérida.")
    kept = body_of(html.encode("iso-8859-1"), encoding=None)
    assert any("Grüße aus Mérida." in line for line in kept)


def test_a_control_character_in_the_text_does_not_lose_the_page() -> None:
    # A stray BEL (U+0007) in a paragraph made trafilatura discard the whole page.
    stray = "Turnout rose to 71 percent\x07 in the capital (official count)."
    kept = body_of(page(f"<p>{stray}</p>"))
    assert "Turnout rose to 71 percent in the capital (official count)." in kept
    assert BODY[0] in kept and BODY[-1] in kept
