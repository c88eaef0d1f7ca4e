"""Pattern proposal and the sources-file append of ``addsource``, without a network."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from scraper.onboarding.patterns import propose_pattern
from scraper.onboarding.sourcefile import (
    append_source,
    check_new_source,
    default_name,
    render_source,
)
from scraper.sources import Source, SourcesError, load_sources

MENU = [
    "https://n.example/",
    "https://n.example/world/",
    "https://n.example/tag/oil",
    "https://n.example/about",
]


def _check(pattern: str | None, articles: list[str], others: list[str]) -> None:
    assert pattern is not None
    assert all(re.search(pattern, url) for url in articles)
    assert not any(re.search(pattern, url) for url in others)


def test_dates_numbers_and_slugs_become_classes() -> None:
    articles = [
        "https://n.example/news/2026/11/20/talks-in-caracas-resume",
        "https://n.example/news/2025/01/02/oil-deal-is-signed",
    ]
    pattern = propose_pattern(articles, MENU)
    assert pattern == r"^https?://[^/]+/news/\d{4}/\d{1,2}/\d{1,2}/[^/]+-[^/]+-[^/]+/?(?:\?|$)"
    _check(
        pattern,
        [*articles, "https://n.example/news/2024/03/04/a-new-article-not-sampled?page=2"],
        MENU,
    )
    assert propose_pattern(
        ["https://n.example/story/123456", "https://n.example/story/98765"], MENU
    ) == (r"^https?://[^/]+/story/\d+/?(?:\?|$)")


def test_sections_that_differ_are_generalised_and_lengths_alternate() -> None:
    articles = [
        "https://n.example/world/talks-in-caracas-resume",
        "https://n.example/economy/oil-deal-is-signed",
    ]
    _check(
        propose_pattern(articles, MENU),
        [*articles, "https://n.example/sport/cup-final-is-won"],
        MENU,
    )
    mixed = [*articles, "https://n.example/a/2026/7/tanker-reaches-port-safely"]
    pattern = propose_pattern(mixed, MENU)
    assert pattern is not None and "-[^/]+|/a/" in pattern
    _check(pattern, mixed, MENU)


def test_a_non_article_link_shaped_like_the_articles_keeps_literals_or_fails() -> None:
    articles = ["https://n.example/p/1/view", "https://n.example/p/22/view"]
    pattern = propose_pattern(articles, ["https://n.example/p/3/edit"])
    _check(pattern, [*articles, "https://n.example/p/7/view"], ["https://n.example/p/3/edit"])
    assert (
        propose_pattern(["https://n.example/world/talks"], ["https://n.example/world/page"]) is None
    )
    assert propose_pattern(["https://n.example/"], MENU) is None
    many = [f"https://n.example/{'/'.join(['s'] * depth)}/x" for depth in range(1, 6)]
    assert propose_pattern(many, MENU) is None


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://www.el-pais.com/", "el-pais"),
        ("https://news.bbc.co.uk/world", "news-bbc-co"),
        ("http://127.0.0.1:8080/", "127-0-0-1"),
        ("https://Example.ORG", "example"),
    ],
)
def test_default_names(url: str, name: str) -> None:
    assert default_name(url) == name


def test_duplicates_ignore_scheme_www_and_trailing_slash() -> None:
    existing = [Source(name="known", url="https://www.known.example/news/")]
    with pytest.raises(SourcesError, match="already configured as source 'known'"):
        check_new_source(existing, "other", "http://known.example/news")
    with pytest.raises(SourcesError, match="a source named 'known' already exists"):
        check_new_source(existing, "known", "https://elsewhere.example/")
    check_new_source(existing, "other", "https://known.example/sport/")


def test_append_keeps_every_byte_and_writes_readable_regexes(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    original = b'# mine\r\n[defaults]\r\nmin_words = 50  # short ones too\r\n\r\n[[source]]\r\nname = "a"\r\nurl = "https://a.example/"\r\n'
    path.write_bytes(original)
    fields = {
        "name": "b",
        "url": "https://b.example/",
        "article_pattern": r"/news/\d+",
        "keywords": [["x", "y"]],
    }
    block = append_source(path, fields)
    assert "article_pattern = '/news/\\d+'" in block
    assert path.read_bytes().startswith(original)
    sources = load_sources(path)
    assert [s.name for s in sources] == ["a", "b"] and sources[1].min_words == 50
    assert sources[1].article_pattern == r"/news/\d+" and sources[1].keywords == [["x", "y"]]
    assert (
        tomllib.loads(
            render_source({"name": "q", "url": "https://q.example/", "article_pattern": "it's"})
        )["source"][0]["article_pattern"]
        == "it's"
    )


def test_append_that_would_not_validate_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(b'[[source]]\nname = "a"\nurl = "https://a.example/"\n')
    before = path.read_bytes()
    with pytest.raises(
        SourcesError, match=r"sources.toml:\d+: source 'b' field 'article_pattern': invalid regex"
    ):
        append_source(
            path, {"name": "b", "url": "https://b.example/", "article_pattern": "(unclosed"}
        )
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        "sources.toml"
    ]


def test_append_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    append_source(path, {"name": "first", "url": "https://first.example/"})
    assert path.read_text().startswith("# News sources") and load_sources(path)[0].name == "first"
