"""sources.toml: defaults, keyword groups, and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.sources import SourcesError, load_sources, parse_sources, select_sources

ROOT = Path(__file__).resolve().parent.parent


def error_of(text: str) -> str:
    with pytest.raises(SourcesError) as caught:
        parse_sources(text, "conf/sources.toml")
    return str(caught.value)


def test_shipped_sources_file_is_valid_and_has_the_seed_topic() -> None:
    sources = load_sources(ROOT / "sources.toml")
    assert {
        "telesur-english",
        "elpais-english",
        "diario-de-los-andes",
        "breitbart-latin-america",
    } <= {s.name for s in sources}
    topic = sources[0].topic
    assert topic.matches(
        "El canciller ruso reafirmó el respaldo de Moscú al gobierno de Nicolás Maduro."
    )
    assert not topic.matches("Maduro spoke about oil exports to Colombia.")


def test_defaults_apply_and_sources_override_them() -> None:
    sources = parse_sources(
        '[defaults]\nmax_age_days = 7\nkeywords = ["x"]\n\n'
        '[[source]]\nname = "a"\nurl = "https://a.example/"\n\n'
        '[[source]]\nname = "b"\nurl = "https://b.example/"\nmax_age_days = 2\nkeywords = [["p", "q"], ["r"]]\n'
    )
    assert [(s.max_age_days, s.keywords) for s in sources] == [
        (7, [["x"]]),
        (2, [["p", "q"], ["r"]]),
    ]


def test_only_name_and_url_are_required() -> None:
    (source,) = parse_sources('[[source]]\nname = "minimal"\nurl = "http://m.example"\n')
    assert source.feeds == [] and source.sitemaps == [] and source.enabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[source]\nname = "a"\n', "conf/sources.toml:1: syntax error"),
        (
            '[[source]]\nname = "a"\nkeywords = ' + "[" * 5000 + "]" * 5000 + "\n",
            "conf/sources.toml: syntax error: arrays or tables nested too deeply",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nfeeds = "x"\n',
            "conf/sources.toml:4: source 'a' field 'feeds': must be list, not str",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\ncolour = "red"\n',
            "conf/sources.toml:4: source 'a' field 'colour': unknown field",
        ),
        (
            '[[source]]\nname = "a"\nurl = "ftp://a.example/"\n',
            "conf/sources.toml:3: source 'a' field 'url': 'ftp://a.example/' is not an http(s) URL",
        ),
        (
            '[[source]]\nname = "a"\nurl = "http://user:secret@a.example/"\n',
            "conf/sources.toml:3: source 'a' field 'url': http://a.example/: a user name or password in the URL is refused",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\n\n[[source]]\nname = "a"\nurl = "https://b.example/"\n',
            "conf/sources.toml:6: source 'a': duplicate name",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\narticle_pattern = "(["\n',
            "conf/sources.toml:4: source 'a' field 'article_pattern': invalid regex",
        ),
        (
            '[[source]]\nname = "Bad Name"\nurl = "https://a.example/"\n',
            "conf/sources.toml:2: source 'Bad Name' field 'name': 'Bad Name' must match [a-z0-9-]+",
        ),
        (
            '[[source]]\nname = "../../etc"\nurl = "https://a.example/"\n',
            "conf/sources.toml:2: source '../../etc' field 'name': '../../etc' must match [a-z0-9-]+",
        ),
        (
            '[[source]]\nname = "a"\n',
            "conf/sources.toml:1: source 'a': missing required field 'url'",
        ),
        ("# sources\nsource = [1]\n", "conf/sources.toml:2: source: use [[source]] tables"),
        ("# sources\n\ndefaults = 3\n", "conf/sources.toml:3: defaults: must be a table"),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\n\n[other]\nx = 1\n',
            "conf/sources.toml:5: top level: unknown table(s) other",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\n[source.x]\ny = 1\n[source.extra]\n',
            "conf/sources.toml:4: source 'a' field 'x': unknown field",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\n\n[source.extra]\ny = 1\n',
            "conf/sources.toml:5: source 'a' field 'extra': unknown field",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\n"colour" = "red"\n',
            "conf/sources.toml:4: source 'a' field 'colour': unknown field",
        ),
        (
            '[defaults]\nmax_age_days = "7"\n',
            "conf/sources.toml:2: [defaults] field 'max_age_days': must be int, not str",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nkeywords = [1]\n',
            "conf/sources.toml:4: source 'a' field 'keywords': must be a list of strings",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nkeywords = [["x"], []]\n',
            "conf/sources.toml:4: source 'a' field 'keywords': holds an empty group",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nkeywords = ["x", " "]\n',
            "conf/sources.toml:4: source 'a' field 'keywords': holds an empty term",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nexclude_selectors = [".ok", "div[["]\n',
            "conf/sources.toml:4: source 'a' field 'exclude_selectors': invalid CSS selector 'div[['",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nbody_selector = ["article"]\n',
            "conf/sources.toml:4: source 'a' field 'body_selector': must be str, not list",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nheadline = "title"\n',
            "conf/sources.toml:4: source 'a' field 'headline': 'title' is not one of 'auto', 'h1', 'og', 'ld'",
        ),
        (
            "[defaults]\nheadline = 1\n",
            "conf/sources.toml:2: [defaults] field 'headline': must be str, not int",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\narticle_pattern = "/(\\\\d+)/\\\\1"\n',
            (
                "conf/sources.toml:4: source 'a' field 'article_pattern': invalid regex '/(\\\\d+)/\\\\1': "
                "invalid escape sequence: \\1 (RE2 syntax: no backreferences or lookaround)"
            ),
        ),
        (
            '[defaults]\ndeny = ["(?<!video)/clip/"]\n',
            "conf/sources.toml:2: [defaults] field 'deny': invalid regex '(?<!video)/clip/': invalid perl operator",
        ),
        (
            "[defaults]\nmax_articles = -1\n",
            "conf/sources.toml:2: [defaults] field 'max_articles': must not be negative",
        ),
        (
            '[[source]]\nname = "a"\nurl = "http://a.example:99999/"\n',
            "conf/sources.toml:3: source 'a' field 'url': 'http://a.example:99999/': the host or port is not valid",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nfeeds = ["http://a.example:abc/rss"]\n',
            "conf/sources.toml:4: source 'a' field 'feeds': 'http://a.example:abc/rss': the host or port",
        ),
        (
            '[[source]]\nname = "a"\nurl = "http://a b.example/"\n',
            "conf/sources.toml:3: source 'a' field 'url': 'http://a b.example/': the host or port",
        ),
        (
            "[defaults]\nmax_age_days = 1000000\n",
            "conf/sources.toml:2: [defaults] field 'max_age_days': must be from 0 to 36,500",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://a.example/"\nmax_sitemaps = "10"\n',
            "conf/sources.toml:4: source 'a' field 'max_sitemaps': must be int, not str",
        ),
        (
            '[[source]]\nname = "a"\nurl = "https://b\u00fccher-' + "x" * 70 + '.example/"\n',
            "conf/sources.toml:3: source 'a' field 'url': 'https://b\u00fccher-xxx",
        ),
    ],
)
def test_errors_name_file_line_and_field(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected)


def test_unicode_hosts_become_punycode_so_their_links_count_as_on_site() -> None:
    (source,) = parse_sources(
        '[[source]]\nname = "b"\nurl = "http://B\u00fccher.example:8080/Neu/"\n'
        'feeds = ["http://b\u00fccher.example:8080/feed"]\nstart_urls = ["http://stra\u00dfe.example/x"]\n'
    )
    assert source.url == "http://xn--bcher-kva.example:8080/Neu/"
    assert source.host == "xn--bcher-kva.example"
    assert source.feeds == ["http://xn--bcher-kva.example:8080/feed"]
    assert source.start_urls == ["http://strasse.example/x"]
    assert source.takes_article("http://xn--bcher-kva.example:8080/2026/11/20/a-story")


def test_selectors_reach_the_extraction_options() -> None:
    text = '[[source]]\nname = "a"\nurl = "https://a.example/"\nbody_selector = "article .text"\nexclude_selectors = [".promo"]\n'
    options = parse_sources(text)[0].extraction_options()
    assert options.body_selector == "article .text" and options.exclude_selectors == (".promo",)


def test_the_headline_choice_reaches_the_extraction_options() -> None:
    text = '[defaults]\nheadline = "og"\n[[source]]\nname = "a"\nurl = "https://a.example/"\n'
    text += '[[source]]\nname = "b"\nurl = "https://b.example/"\nheadline = "h1"\n[[source]]\nname = "c"\nurl = "https://c.example/"\n'
    a, b, _ = parse_sources(text)
    assert [a.extraction_options().headline, b.extraction_options().headline] == ["og", "h1"]
    assert (
        parse_sources('[[source]]\nname = "c"\nurl = "https://c.example/"\n')[0]
        .extraction_options()
        .headline
        == "auto"
    )


def test_the_standfirst_choice_reaches_the_extraction_options() -> None:
    text = '[[source]]\nname = "a"\nurl = "https://a.example/"\nstandfirst = false\n'
    text += '[[source]]\nname = "b"\nurl = "https://b.example/"\n'
    a, b = parse_sources(text)
    assert [a.extraction_options().standfirst, b.extraction_options().standfirst] == [False, True]
    with pytest.raises(SourcesError, match="field 'standfirst': must be bool, not str"):
        parse_sources('[[source]]\nname = "a"\nurl = "https://a.example/"\nstandfirst = "no"\n')


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="nope.toml: no such sources file"):
        load_sources(tmp_path / "nope.toml")


def test_a_byte_order_mark_is_read_past_and_a_mistyped_field_gets_a_suggestion(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'[[source]]\nname = "a"\nurl = "https://a.example/"\n')
    assert [source.name for source in load_sources(path)] == ["a"]
    path.write_bytes(
        b"\xef\xbb\xbf" + b'[[source]]\nname = "a"\nurl = "https://a.example/"\nmax_age_dayz = 3\n'
    )
    with pytest.raises(SourcesError) as raised:
        load_sources(path)
    assert str(raised.value).startswith(
        f"{path}:4: source 'a' field 'max_age_dayz': unknown field; did you mean 'max_age_days'?"
    )


def test_a_file_that_is_not_utf8_is_named_with_the_line_of_its_first_bad_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(
        '[[source]]\nname = "a"\nurl = "https://a.example/"\n# café\n'.encode("cp1252")
    )
    with pytest.raises(SourcesError) as raised:
        load_sources(path)
    assert (
        str(raised.value) == f"{path}:4: not UTF-8 (byte 0xe9): a TOML file must be saved as UTF-8"
    )


def test_select_sources_by_name_and_unknown_names() -> None:
    sources = parse_sources(
        '[[source]]\nname = "a"\nurl = "https://a.example/"\n\n'
        '[[source]]\nname = "b"\nurl = "https://b.example/"\nenabled = false\n'
    )
    assert [s.name for s in select_sources(sources, None)] == ["a"]
    assert [s.name for s in select_sources(sources, "b,a")] == ["b", "a"]
    with pytest.raises(SourcesError, match="unknown source.*zzz"):
        select_sources(sources, "zzz")
    for nothing in ("", " , "):
        with pytest.raises(SourcesError, match="names no source .configured: a, b"):
            select_sources(sources, nothing)


@pytest.mark.parametrize(
    "second",
    ["https://a.example/news", "http://a.example/news/", "https://www.a.example/news"],
)
def test_two_sources_on_one_site_are_refused_as_addsource_refuses_them(second: str) -> None:
    first = '[[source]]\nname = "a"\nurl = "https://a.example/news/"\n\n'
    text = first + f'[[source]]\nname = "b"\nurl = "{second}"\n'
    assert error_of(text) == "conf/sources.toml:7: source 'b': same site as source 'a'"
    other_port = first + '[[source]]\nname = "c"\nurl = "https://a.example:8080/news/"\n'
    assert [s.name for s in parse_sources(other_port)] == ["a", "c"]


def test_the_topic_filter_is_compiled_once_per_source() -> None:
    (source,) = parse_sources(
        '[[source]]\nname = "a"\nurl = "https://a.example/"\nkeywords = ["x"]\n'
    )
    assert source.topic is source.topic and source.topic.matches("an x here")
