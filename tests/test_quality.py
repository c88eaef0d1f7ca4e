"""The bad-extraction check: stubs and walls are named, a truncated body is retried."""

from __future__ import annotations

import json
from html import escape

from corpus.extract import extract_article
from corpus.filters import rejection_reason
from sitefixture.text import paragraphs

URL = "http://127.0.0.1:8000/news/2026/11/20/story"


def page(body_html: str, head: str = "") -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A story</title>{head}</head>
<body><main><div class="content"><h1>A story about Caracas</h1>{body_html}</div></main></body></html>"""


def verdict(html: str) -> str | None:
    return rejection_reason(extract_article(html, URL, "utf-8"))


def test_paywall_stub_is_named() -> None:
    teaser = paragraphs("paywall", True, count=1)[0]
    html = page(
        f"<p>{escape(teaser)}</p><p>This article is for subscribers only. Subscribe to continue reading.</p>"
    )
    assert verdict(html) == "paywall"


def test_declared_paywall_is_named_even_without_a_prompt() -> None:
    teaser = paragraphs("declared", True, count=1)
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "A story",
        "isAccessibleForFree": "False",
    }
    html = page(
        "".join(f"<p>{escape(p)}</p>" for p in teaser),
        f'<script type="application/ld+json">{json.dumps(ld)}</script>',
    )
    assert verdict(html) == "paywall"
    # the same text on a page that declares neither a paywall nor an article is only no article
    assert verdict(page("".join(f"<p>{escape(p)}</p>" for p in teaser))) == "not-article"


def test_cookie_wall_is_named() -> None:
    wall = (
        "<p>We value your privacy. We and our partners use cookies to store and access information on your device.</p>"
        "<p>With your consent we use cookies for personalised ads. You can change your privacy settings at any time.</p>"
        "<p>Accept all cookies or manage consent.</p>"
    )
    assert verdict(page(wall)) == "cookie-wall"


def test_listing_page_is_named() -> None:
    items = "".join(
        f'<li><h2><a href="/news/{n}">Headline number {n} about Russia and Venezuela relations</a></h2></li>'
        for n in range(30)
    )
    assert verdict(page(f"<ul>{items}</ul>")) == "listing"


def test_page_without_text_is_empty() -> None:
    article = extract_article(page(""), URL, "utf-8")
    assert article is not None and article.paragraphs == []
    assert rejection_reason(article) == "empty"
    assert rejection_reason(None) == "empty"


def test_truncated_extraction_is_retried_from_the_declared_body() -> None:
    body = paragraphs("truncated", True, count=8)
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "A story",
        "articleBody": "\n".join(body),
    }
    # the page shows two paragraphs, the rest is loaded by script: the declared body has it all
    html = page(
        "".join(f"<p>{escape(p)}</p>" for p in body[:2]),
        f'<script type="application/ld+json">{json.dumps(ld)}</script>',
    )
    article = extract_article(html, URL, "utf-8")
    assert article is not None and article.paragraphs == body
    assert verdict(html) is None


def test_a_few_words_are_tried_again_with_the_recall_focus() -> None:
    # Broken markup puts the article inside the sidebar: trafilatura's default run finds only
    # the header's tagline, its recall focus the article.
    body = paragraphs("sidebar", True, count=5)
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A story</title></head>'
        '<body><header><div class="header-text">Your daily touchpoint to the digital trade.</div>'
        '</header><div class="main"><aside class="sidebar"><div id="nav_menu-6"><article>'
        "<h1>A story</h1>" + "".join(f"<p>{escape(p)}</p>" for p in body) + "</article></div>"
        "</aside></div></body></html>"
    )
    article = extract_article(html, URL, "utf-8")
    assert article is not None and all(p in article.paragraphs for p in body)


def test_declared_body_trims_lines_it_does_not_contain() -> None:
    body = paragraphs("declared-body", True, count=6)
    extra = "Our journalism depends on readers like you, who make independent reporting on the region possible."
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "A story",
        "articleBody": " ".join(body),
    }
    html = page(
        "".join(f"<p>{escape(p)}</p>" for p in body) + f"<p>{extra}</p>",
        f'<script type="application/ld+json">{json.dumps(ld)}</script>',
    )
    article = extract_article(html, URL, "utf-8")
    assert article is not None and article.paragraphs == body


def test_declared_body_keeps_the_standfirst_the_page_declares_as_its_description() -> None:
    body = paragraphs("declared-body", True, count=6)
    lead = (
        "Caracas and Moscow sign a treaty that binds their oil companies for the next twenty years."
    )
    extra = "Our journalism depends on readers like you, who make independent reporting on the region possible."
    ld = {"@type": "NewsArticle", "headline": "A story", "articleBody": " ".join(body)}
    html = page(
        f"<p>{lead}</p>" + "".join(f"<p>{escape(p)}</p>" for p in body) + f"<p>{extra}</p>",
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        f'<meta property="og:description" content="{lead}">',
    )
    article = extract_article(html, URL, "utf-8")
    assert article is not None and article.paragraphs == [lead, *body]


def test_declared_body_keeps_the_subheadings_it_leaves_out() -> None:
    body = paragraphs("declared-body", True, count=6)
    heading, teaser = "What the treaty changes", "- Kremlin hosts a delegation"
    ld = {"@type": "NewsArticle", "headline": "A story", "articleBody": " ".join(body)}
    html = page(
        "".join(f"<p>{escape(p)}</p>" for p in body[:3])
        + f"<h2>{heading}</h2>"
        + "".join(f"<p>{escape(p)}</p>" for p in body[3:5])
        + f"<ul><li>{teaser[2:]}</li></ul><p>{escape(body[5])}</p>",
        f'<script type="application/ld+json">{json.dumps(ld)}</script>',
    )
    article = extract_article(html, URL, "utf-8")
    # the subheading sits between declared paragraphs; a list item there is no heading
    assert article is not None and article.paragraphs == [*body[:3], heading, *body[3:]]


def script_rendered_page(content_html: str) -> str:
    """A page whose markup is an empty shell; its article HTML sits in hydration data."""
    state = {
        "props": {"article": {"title": "A story", "contentHtml": content_html, "tags": ["caracas"]}}
    }
    filler = json.dumps({"config": {"flags": list(range(400))}})
    escaped = json.dumps(state).replace("</", "<\\/")  # how scripts keep "</p>" from closing them
    script = f"<script>window.__STATE__ = {escaped}; window.__CONFIG__ = {filler};</script>"
    return page('<div id="root"></div>' + script)


def test_a_script_rendered_page_is_read_from_the_html_in_its_scripts() -> None:
    body = paragraphs("rendered", True, count=6)
    content = '<div class="ad">$$AD$$</div>' + "".join(f"<p>{escape(p)}</p>" for p in body)
    html = script_rendered_page(content)
    article = extract_article(html, URL, "utf-8")
    assert article is not None and article.paragraphs == body
    assert verdict(html) is None


def test_a_teaser_in_the_scripts_is_no_article() -> None:
    teaser = "<p>" + escape(paragraphs("teaser", True, count=1)[0]) + "</p>"
    article = extract_article(script_rendered_page(teaser), URL, "utf-8")
    assert article is not None and article.paragraphs == []
    assert verdict(script_rendered_page(teaser)) == "empty"
