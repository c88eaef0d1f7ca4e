"""The same article under several URLs enters the corpus once, the copies noted on it."""

from __future__ import annotations

import hashlib
import re
from html import escape
from pathlib import Path

from corpus.article import Article
from corpus.simhash import MAX_DISTANCE, NearDuplicateIndex, distance, simhash
from corpus.store import CorpusStore, read_manifest
from sitefixture import FixtureServer
from sitefixture.pages import listing_html
from sitefixture.server import Resource
from sitefixture.text import paragraphs
from tests.conftest import crawl

BODY = paragraphs("original", True)
# What an aggregator republishes: the last sentence cut, one word edited.
COPY = [*BODY[:-1], BODY[-1].rsplit(". ", 1)[0] + "."]
COPY[2] = COPY[2].replace("the", "a", 1)


def article(url: str, body: list[str], title: str = "Moscow and Caracas sign a deal") -> Article:
    return Article(url=url, title=title, paragraphs=body, canonical_url=url)


def test_simhash_is_close_for_copies_and_far_for_other_articles() -> None:
    text = "\n".join(BODY)
    assert distance(simhash(text), simhash(text)) == 0
    assert distance(simhash(text), simhash("\n".join(COPY))) <= MAX_DISTANCE
    assert distance(simhash(text), simhash(text.upper().replace(".", " ."))) == 0
    others = [simhash("\n".join(paragraphs(f"other-{n}", True))) for n in range(20)]
    assert min(distance(simhash(text), other) for other in others) > MAX_DISTANCE


def reference_simhash(text: str) -> int:
    """The definition, bit by bit: set where most shingles' big-endian BLAKE2b digests are set."""
    tokens = re.findall(r"\w+", text.casefold())
    grams = [" ".join(tokens[i : i + 3]) for i in range(max(1, len(tokens) - 2))]
    digests = [
        int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
        for gram in grams
    ]
    weights = [sum(1 if d >> bit & 1 else -1 for d in digests) for bit in range(64)]
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def test_simhash_is_its_definition() -> None:
    texts = ["", "one", "two words", "Straße, ÉCOLE und 東京", "\n".join(BODY), "\n".join(COPY)]
    texts += ["\n".join(paragraphs(f"other-{n}", n % 2 == 0)) for n in range(10)]
    for text in texts:
        assert simhash(text) == reference_simhash(text), text[:40]


def test_index_finds_the_closest_within_the_distance() -> None:
    index = NearDuplicateIndex()
    index.add(0b1011, 1)
    index.add(0b1011 ^ (1 << 40), 2)
    assert index.find(0b1011) == 1
    assert index.find(0b1011 ^ (1 << 40) ^ (1 << 3)) == 2
    assert index.find(0b1011 ^ 0xFF00FF) is None


def test_store_finds_a_near_duplicate_and_records_its_url_once(tmp_path: Path) -> None:
    store = CorpusStore(tmp_path).open()
    kept = store.add(article("https://a.example/story", BODY))
    copy = article(
        "https://aggregator.example/x/123", COPY, title="Syndicated: Moscow and Caracas sign a deal"
    )
    assert store.near_duplicate(copy)["id"] == kept["id"]
    assert (
        store.near_duplicate(article("https://a.example/other", paragraphs("other", True))) is None
    )
    assert store.add_duplicate(kept["id"], copy.url)["duplicates"] == [copy.url]
    assert store.add_duplicate(kept["id"], copy.url + "?utm_source=x") is None
    assert store.add_duplicate(kept["id"], "https://a.example/story") is None
    # the page kept may be the AMP copy: the canonical page is then a copy worth noting
    amp = store.add(
        Article(
            url="https://a.example/amp/2",
            title="T",
            paragraphs=["Other text entirely."],
            canonical_url="https://a.example/2",
        )
    )
    assert store.add_duplicate(amp["id"], "https://a.example/2")["duplicates"] == [
        "https://a.example/2"
    ]
    store.close()
    reopened = CorpusStore(tmp_path).open()
    assert reopened.near_duplicate(copy)["duplicates"] == [copy.url]
    updated = reopened.update(
        kept["id"], article("https://a.example/story", [*BODY, "A correction."])
    )
    assert updated["duplicates"] == [copy.url] and updated["version"] == 2
    reopened.close()
    assert [e["id"] for e in read_manifest(tmp_path)] == [0, 0, 1, 1, 0]


def _page(title: str, body: list[str], head: str = "", furniture: str = "") -> bytes:
    text = "".join(f"<p>{escape(p)}</p>" for p in body)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>{head}</head>
<body><main><article><h1>{escape(title)}</h1>{text}</article>{furniture}</main></body></html>""".encode()


def test_crawl_keeps_one_copy_and_lists_the_others(tmp_path: Path) -> None:
    with FixtureServer() as server:
        original = server.url("/news/deal")
        server.routes.update(
            {
                "/": Resource(
                    listing_html(
                        "Home",
                        [
                            ("/news/deal", "Deal"),
                            ("/news/amp/deal", "Deal (AMP)"),
                            ("/news/wire/deal", "Deal (wire)"),
                            ("/news/other", "Other"),
                        ],
                    ).encode()
                ),
                "/news/deal": Resource(_page("Moscow and Caracas sign a deal", BODY)),
                # AMP and print versions declare the original as canonical
                "/news/amp/deal": Resource(
                    _page(
                        "Moscow and Caracas sign a deal",
                        BODY,
                        f'<link rel="canonical" href="{original}">',
                    )
                ),
                # a wire copy on an aggregator page: its own URL, other furniture, a cut and an edit
                "/news/wire/deal": Resource(
                    _page(
                        "Wire: Moscow and Caracas sign a deal",
                        COPY,
                        furniture="<p>Distributed by Wire Service.</p>",
                    )
                ),
                "/news/other": Resource(
                    _page("Oil output rises in Venezuela", paragraphs("other", True))
                ),
            }
        )
        source = f'[[source]]\nname = "dup"\nurl = "{server.base_url}/"\narticle_pattern = "/news/"\nstart_urls = ["{server.base_url}/"]\n'
        result = crawl(tmp_path, source)
    assert result.returncode == 0, result.log
    latest = {entry["id"]: entry for entry in result.manifest()}
    assert len(latest) == 2
    deal = next(e for e in latest.values() if "other" not in e["url"])
    copies = {deal["url"], *deal["duplicates"]}
    assert copies == {original, server.url("/news/amp/deal"), server.url("/news/wire/deal")}
    assert deal["canonical_url"] in (original, server.url("/news/wire/deal"))
    line = next(l for l in result.log.splitlines() if l.strip().startswith("dup:"))
    assert "written 2," in line
    assert sorted(result.corpus.glob("*.txt")) == sorted(
        result.corpus / e["file"] for e in latest.values()
    )


def test_an_old_address_that_redirects_to_an_article_asked_for_is_settled_as_a_duplicate(
    tmp_path: Path,
) -> None:
    """A listing links an article and its old address, which redirects to it: the redirect's
    request is dropped as seen. The old address is counted as a duplicate and settled, so the
    next run does not ask for it again."""
    with FixtureServer() as server:
        server.routes.update(
            {
                "/": Resource(
                    listing_html(
                        "Home", [("/news/deal", "Deal"), ("/news/old-deal", "Deal (old address)")]
                    ).encode(),
                    conditional=False,  # every run reads its links again
                ),
                "/news/deal": Resource(_page("Moscow and Caracas sign a deal", BODY)),
                "/news/old-deal": Resource(
                    status=301, headers=[("Location", server.url("/news/deal"))], conditional=False
                ),
            }
        )
        source = f'[[source]]\nname = "dup"\nurl = "{server.base_url}/"\narticle_pattern = "/news/"\nstart_urls = ["{server.base_url}/"]\n'
        first = crawl(tmp_path, source)
        asked_first = server.paths().count("/news/old-deal")
        second = crawl(tmp_path, source)
        asked_both = server.paths().count("/news/old-deal")
    assert first.returncode == 0 and second.returncode == 0, first.log + second.log
    assert asked_first == 1
    line = next(l for l in first.log.splitlines() if l.strip().startswith("dup:"))
    assert "written 1," in line and "duplicate:1" in line, line
    assert asked_both == 1  # the second run knows the old address's outcome
    assert len(second.manifest()) == 1
