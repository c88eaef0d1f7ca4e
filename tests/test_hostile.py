"""Hostile and broken servers: each fault ends in a log line and a stat, nothing archived is lost."""

from __future__ import annotations

import gzip
import random
import resource
import signal
from pathlib import Path
from urllib.parse import quote

import pytest
from warcio.archiveiterator import ArchiveIterator

from corpus.store import read_manifest
from scraper import exitcodes
from scraper.items import MAX_EXTRACTED_BYTES
from scraper.spiders.news import NewsSpider
from sitefixture import FixtureServer, Resource, pages
from sitefixture.fakedns import fake_dns
from sitefixture.inprocess import project_crawler, response
from sitefixture.scrapyrun import run_scrapy, run_signalled
from sitefixture.server import gzip_bomb as make_gzip_bomb
from tests.conftest import TEST_SETTINGS, crawl

ARTICLE = "/news/2026/11/20/a-story"
MiB = 1 << 20
STORY = (
    "<html><head><title>A story</title></head><body><article><h1>A story</h1>"
    + "".join(
        f"<p>Caracas and Moscow talked again on day {n}, and both sides said the talks went well.</p>"
        for n in range(20)
    )
    + "</article></body></html>"
).encode()


def one_article_site(server: FixtureServer, article: Resource) -> str:
    """A homepage linking one article served as ``article``; the sources.toml of the site."""
    server.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    server.routes["/"] = Resource(pages.listing_html("Home", [(ARTICLE, "A story")]).encode())
    server.routes[ARTICLE] = article
    return f'[[source]]\nname = "hostile"\nurl = "{server.base_url}/"\n'


def archived_bodies(warc_files: list[Path], url: str) -> list[bytes]:
    bodies = []
    for warc in warc_files:
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response" and record.rec_headers["WARC-Target-URI"] == url:
                    bodies.append(record.raw_stream.read())
    return bodies


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 1 MiB of gzip that inflates to 1 GiB of zeros."""
    return make_gzip_bomb(1024)


def test_a_gzip_bomb_is_archived_as_sent_and_never_inflated_past_the_size_cap(
    gzip_bomb: bytes, tmp_path: Path
) -> None:
    with FixtureServer() as server:
        bomb = Resource(gzip_bomb, headers=[("Content-Encoding", "gzip")])
        result = crawl(
            tmp_path, one_article_site(server, bomb), {"DOWNLOAD_MAXSIZE": str(20 * MiB)}
        )
    assert result.returncode == exitcodes.PARTIAL, result.log  # the article is lost: an error
    assert (
        f"{ARTICLE}> because its body" in result.log and "exceeded DOWNLOAD_MAXSIZE" in result.log
    )
    assert archived_bodies(result.warc_files(), server.url(ARTICLE)) == [gzip_bomb]
    assert result.manifest() == []
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mib < 500, f"a crawler process reached {peak_mib:.0f} MiB"


def test_a_429_with_retry_after_pauses_that_host_only_then_succeeds(tmp_path: Path) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as other:
        busy = Resource(
            b"busy", status=429, headers=[("Retry-After", "2")], content_type="text/plain"
        )
        story = Resource(STORY, faults=[busy])
        sources = one_article_site(server, story)
        other_sources = one_article_site(other, Resource(pages.listing_html("Other", []).encode()))
        other.delay = 0.7  # its requests spread over the pause of the first host
        result = crawl(tmp_path, sources + other_sources.replace('"hostile"', '"other"'))
        refused, retried = [request.at for request in server.requests if request.path == ARTICLE]
        others = [request.at for request in other.requests]
    assert result.returncode == 0, result.log
    assert retried - refused >= 2.0  # the host was asked nothing during the pause...
    assert any(refused < at < retried for at in others)  # ...while the other host went on
    assert (
        f"{server.url(ARTICLE)} answered 429: pausing 127.0.0.1 for 2.0 s (Retry-After)"
        in result.log
    )
    assert "'retry_after/paused': 1" in result.log
    assert (
        len(archived_bodies(result.warc_files(), server.url(ARTICLE))) == 2
    )  # the 429 is archived too
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def test_server_errors_are_retried_until_the_page_comes(tmp_path: Path) -> None:
    with FixtureServer() as server:
        failing = [
            Resource(b"oops", status=500, content_type="text/plain"),
            Resource(b"down", status=503, content_type="text/plain"),
        ]
        story = Resource(STORY, faults=failing)
        result = crawl(tmp_path, one_article_site(server, story))
        asked = [request.path for request in server.requests].count(ARTICLE)
    assert result.returncode == 0, result.log
    assert asked == 3
    assert "'retry/count': 2" in result.log
    assert (
        len(archived_bodies(result.warc_files(), server.url(ARTICLE))) == 3
    )  # every answer is kept
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def truncated_records(warc_files: list[Path], url: str) -> list[str | None]:
    found = []
    for warc in warc_files:
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response" and record.rec_headers["WARC-Target-URI"] == url:
                    found.append(record.rec_headers.get_header("WARC-Truncated"))
    return found


def test_a_connection_reset_mid_body_is_archived_cut_and_retried(tmp_path: Path) -> None:
    with FixtureServer() as server:
        story = Resource(STORY, faults=[Resource(STORY, cut_at=300)])
        result = crawl(tmp_path, one_article_site(server, story))
    assert result.returncode == 0, result.log
    assert truncated_records(result.warc_files(), server.url(ARTICLE)) == ["disconnect", None]
    assert "'retry/reason_count/dataloss': 1" in result.log
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def test_a_stopped_crawl_asks_no_retry_of_a_page_that_broke_off(tmp_path: Path) -> None:
    """The retry was sent to the scheduler, which a stopping crawl no longer reads: the cut
    page was neither fetched again nor counted as an error."""
    with FixtureServer() as server:
        sources = tmp_path / "sources.toml"
        sources.write_text(one_article_site(server, Resource(STORY, cut_at=300, delay=1.5)))
        settings = {
            **TEST_SETTINGS,
            "SOURCES_FILE": str(sources),
            "DATA_DIR": str(tmp_path / "data"),
        }
        code, log = run_signalled(
            ["crawl", "news"],
            tmp_path,
            settings,
            [("Spider opened", signal.SIGINT)],
            ready=lambda: ARTICLE in server.paths(),
        )
        assert code == 130, log
        assert server.paths().count(ARTICLE) == 1, server.paths()
    assert f"Not retrying <GET {server.url(ARTICLE)}>: the crawl is stopping" in log
    assert "'retry/not_on_stop': 1" in log
    assert f"{server.url(ARTICLE)} broke off mid-body on its last try" in log


def test_a_page_that_always_breaks_off_is_kept_cut_never_extracted_and_asked_again(
    tmp_path: Path,
) -> None:
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(STORY, cut_at=300))
        result = crawl(tmp_path, sources)
        assert result.returncode == 1, result.log  # the article is lost to this run: partial
        assert (
            truncated_records(result.warc_files(), server.url(ARTICLE)) == ["disconnect"] * 3
        )  # RETRY_TIMES = 2
        assert "Gave up retrying" in result.log and "dataloss" in result.log
        assert f"{server.url(ARTICLE)} broke off mid-body on its last try" in result.log
        assert result.manifest() == [] and "errors 1" in result.log
        server.routes[ARTICLE] = Resource(STORY)
        again = crawl(tmp_path, sources)
    assert again.returncode == 0, again.log
    assert [entry["url"] for entry in again.manifest()] == [server.url(ARTICLE)]


def test_a_slow_answer_times_out_is_retried_and_then_comes(tmp_path: Path) -> None:
    with FixtureServer() as server:
        story = Resource(STORY, faults=[Resource(STORY, delay=4)])
        result = crawl(tmp_path, one_article_site(server, story), {"DOWNLOAD_TIMEOUT": "1"})
    assert result.returncode == 0, result.log
    assert "'retry/reason_count/" in result.log and "TimeoutError" in result.log
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def test_a_page_that_never_answers_in_time_is_named_with_the_reason(tmp_path: Path) -> None:
    with FixtureServer() as server:
        result = crawl(
            tmp_path,
            one_article_site(server, Resource(STORY, delay=3)),
            {"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "1"},
        )
    assert result.returncode == 1, result.log
    assert (
        f"Cannot fetch {server.url(ARTICLE)}: " in result.log and "took longer than 1" in result.log
    )
    assert "'news/hostile/errors': 1" in result.log
    assert result.manifest() == []


def test_a_redirect_loop_ends_with_a_warning_and_every_hop_archived(tmp_path: Path) -> None:
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(status=301, headers=[("Location", "/loop-b")]))
        server.routes["/loop-b"] = Resource(status=302, headers=[("Location", ARTICLE)])
        result = crawl(tmp_path, sources)
        asked = server.paths()
    assert result.returncode == exitcodes.PARTIAL, result.log  # the article is lost: an error
    assert asked.count(ARTICLE) == 1 and asked.count("/loop-b") == 1
    assert (
        f"Redirect loop: {server.url('/loop-b')} sends back to {server.url(ARTICLE)}" in result.log
    )
    assert "'news/hostile/redirect_loop': 1" in result.log and "'redirect/loop': 1" in result.log
    assert len(archived_bodies(result.warc_files(), server.url("/loop-b"))) == 1


def redirect_chain_site(server: FixtureServer, hops: int) -> str:
    """The article redirects through ``/hop/1`` ... ``/hop/HOPS`` to the story at ``/hop/HOPS+1``."""
    sources = one_article_site(server, Resource(status=301, headers=[("Location", "/hop/1")]))
    for hop in range(1, hops + 1):
        server.routes[f"/hop/{hop}"] = Resource(
            status=302, headers=[("Location", f"/hop/{hop + 1}")]
        )
    server.routes[f"/hop/{hops + 1}"] = Resource(STORY)
    return sources


def test_a_long_redirect_chain_is_followed_to_the_article(tmp_path: Path) -> None:
    with FixtureServer() as server:
        sources = redirect_chain_site(server, hops=5)
        result = crawl(tmp_path, sources)
    assert result.returncode == 0, result.log
    assert [entry["url"] for entry in result.manifest()] == [server.url("/hop/6")]
    assert all(
        len(archived_bodies(result.warc_files(), server.url(f"/hop/{hop}"))) == 1
        for hop in range(1, 7)
    )


SPANISH = "".join(
    f"<p>El canciller Gómez firmó el “acuerdo” número {n} en Caracas; Moscú celebró la decisión del año.</p>"
    for n in range(12)
)


def spanish_story(head: str = "") -> str:
    return f"<html><head>{head}<title>Acuerdo</title></head><body><article><h1>Acuerdo en Caracas</h1>{SPANISH}</article></body></html>"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (spanish_story('<meta charset="windows-1252">').encode("cp1252"), "text/html"),
        (spanish_story().encode("cp1252"), "text/html; charset=windows-1252"),
        (
            spanish_story().replace("“", '"').replace("”", '"').encode("iso-8859-1"),
            "text/html; charset=iso-8859-1",
        ),
        (
            spanish_story(
                '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
            )
            .replace("“", '"')
            .replace("”", '"')
            .encode("iso-8859-1"),
            "text/html",
        ),
        (spanish_story().encode("cp1252"), "text/html"),  # declared nowhere
    ],
    ids=["cp1252-meta", "cp1252-header", "latin1-header", "latin1-http-equiv", "undeclared"],
)
def test_legacy_charsets_reach_the_corpus_as_the_right_characters(
    body: bytes, content_type: str, tmp_path: Path
) -> None:
    with FixtureServer() as server:
        result = crawl(
            tmp_path, one_article_site(server, Resource(body, content_type=content_type))
        )
    assert result.returncode == 0, result.log
    [entry] = result.manifest()
    text = (result.corpus / entry["file"]).read_text(encoding="utf-8")
    assert "El canciller Gómez firmó el" in text and "Moscú celebró la decisión" in text
    assert "\ufffd" not in text


PORTUGUESE = "".join(
    f"<p>A população de São João não esperava a decisão {n}: as eleições começam amanhã, disse"
    " o presidente da Câmara, e a votação será às nove horas.</p>"
    for n in range(12)
)


def test_an_undeclared_latin1_page_is_read_as_browsers_read_it_live_and_from_the_archive(
    tmp_path: Path,
) -> None:
    """Scrapy guesses cp1250 for these bytes ("Săo Joăo"); a page that declares nothing is
    read as UTF-8, else cp1252, by the crawl, the replay and ``scrapy extract`` alike."""
    page = f"<html><head><title>Eleições</title></head><body><article><h1>Eleições em São João</h1>{PORTUGUESE}</article></body></html>"
    with FixtureServer() as server:
        sources = one_article_site(
            server, Resource(page.encode("latin-1"), content_type="text/html")
        )
        result = crawl(tmp_path, sources)
        extracted = run_scrapy(
            ["extract", server.url(ARTICLE)],
            tmp_path,
            {**TEST_SETTINGS, "SOURCES_FILE": str(tmp_path / "sources.toml")},
        )
    assert result.returncode == 0, result.log
    [entry] = result.manifest()
    text = (result.corpus / entry["file"]).read_text(encoding="utf-8")
    assert "A população de São João não esperava" in text and "às nove horas" in text
    assert "A população de São João não esperava" in extracted.stdout, extracted.stderr
    replayed = run_scrapy(
        ["replay"],
        tmp_path,
        {
            **TEST_SETTINGS,
            "SOURCES_FILE": str(tmp_path / "sources.toml"),
            "DATA_DIR": str(tmp_path / "data"),
        },
    )
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    [again] = read_manifest(tmp_path / "data" / "corpus-replay")
    assert (tmp_path / "data" / "corpus-replay" / again["file"]).read_text(encoding="utf-8") == text


@pytest.mark.parametrize("charset", ["utf-8", "iso-8859-1"])
def test_links_of_a_page_whose_charset_is_only_in_the_http_header_are_asked_for_as_written(
    charset: str, tmp_path: Path
) -> None:
    path = "/news/2026/11/20/\u00fcber-die-br\u00fccke-story"
    quoted = quote(path)  # the page's characters, percent-encoded as UTF-8
    with FixtureServer() as server:
        server.routes["/robots.txt"] = Resource(
            b"User-agent: *\nAllow: /\n", content_type="text/plain"
        )
        home = pages.listing_html("Home", [(path, "\u00dcber die Br\u00fccke")]).replace(
            '<meta charset="utf-8">', ""
        )
        assert "charset" not in home
        server.routes["/"] = Resource(
            home.encode(charset), content_type=f"text/html; charset={charset}"
        )
        server.routes[quoted] = Resource(STORY)
        result = crawl(tmp_path, f'[[source]]\nname = "hostile"\nurl = "{server.base_url}/"\n')
        asked = server.paths()
    assert quoted in asked, asked
    assert [entry["url"] for entry in result.manifest()] == [server.url(quoted)]


def test_a_source_with_a_unicode_host_is_crawled_under_its_idna_name(tmp_path: Path) -> None:
    with FixtureServer() as server:
        one_article_site(server, Resource(STORY))
        sources = f'[[source]]\nname = "idn"\nurl = "http://b\u00fccher.test:{server.port}/"\n'
        settings = fake_dns({"xn--bcher-kva.test": ["127.0.0.1"]}, ALLOW_PRIVATE_ADDRESSES="True")
        result = crawl(tmp_path, sources, settings)
    assert [entry["url"] for entry in result.manifest()] == [
        f"http://xn--bcher-kva.test:{server.port}{ARTICLE}"
    ]


def test_a_pattern_that_backtracks_forever_in_python_runs_in_linear_time(tmp_path: Path) -> None:
    """With Python's re, ``(a+)+$`` on this link takes minutes; the crawl would hang."""
    article = "/news/2026/11/20/story-a"
    with FixtureServer() as server:
        server.routes["/robots.txt"] = Resource(
            b"User-agent: *\nAllow: /\n", content_type="text/plain"
        )
        links = [("/news/" + "a" * 40 + "!", "trap"), (article, "A story")]
        server.routes["/"] = Resource(pages.listing_html("Home", links).encode())
        server.routes[article] = Resource(STORY)
        result = crawl(
            tmp_path,
            f'[[source]]\nname = "hostile"\nurl = "{server.base_url}/"\narticle_pattern = "(a+)+$"\n',
        )
    assert [entry["url"] for entry in result.manifest()] == [server.url(article)]


def test_a_link_past_urllength_limit_is_skipped_before_any_pattern_sees_it(tmp_path: Path) -> None:
    long_link = (
        "/news/" + "a" * 20_000 + "/"
    )  # 35 s of Python's re with the default article pattern
    base = "https://hostile.example"
    sources = f'[[source]]\nname = "hostile"\nurl = "{base}/"\n'
    spider = NewsSpider.from_crawler(project_crawler(NewsSpider, sources, tmp_path))
    home = pages.listing_html("Home", [(long_link, "trap"), (ARTICLE, "A story")])
    requests = list(spider.parse_home(response(f"{base}/", home, source="hostile")))
    assert [request.url for request in requests] == [base + ARTICLE]
    assert spider.crawler.stats.get_value("news/hostile/skipped_long_url") == 1


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    body = (
        spanish_story('<meta charset="utf-8">')
        .encode("utf-8")
        .replace("número".encode(), b"n\xfamero\xff\xfe")
    )
    with FixtureServer() as server:
        result = crawl(tmp_path, one_article_site(server, Resource(body)))
    assert result.returncode == 0, result.log
    [entry] = result.manifest()
    assert "El canciller Gómez firmó" in (result.corpus / entry["file"]).read_text(encoding="utf-8")


def test_binary_served_as_html_and_a_pdf_are_archived_but_never_extracted(tmp_path: Path) -> None:
    noise = random.Random(7).randbytes(20_000)
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(noise))
        server.routes["/"] = Resource(
            pages.listing_html(
                "Home", [(ARTICLE, "A story"), ("/files/report.pdf", "Report")]
            ).encode()
        )
        server.routes["/files/report.pdf"] = Resource(
            b"%PDF-1.7\n" + noise, content_type="application/pdf"
        )
        result = crawl(tmp_path, sources + 'article_pattern = "/(news|files)/"\n')
    assert result.returncode == 0, result.log
    assert result.manifest() == []
    assert archived_bodies(result.warc_files(), server.url(ARTICLE)) == [noise]
    assert len(archived_bodies(result.warc_files(), server.url("/files/report.pdf"))) == 1
    assert "not-html:1" in result.log


def test_a_page_past_the_extraction_limit_is_archived_whole_and_filtered_too_large(
    tmp_path: Path,
) -> None:
    paragraph = "<p>" + "Ein langer Absatz über den Haushalt der Stadt. " * 40 + "</p>\n"
    page = spanish_story().replace("</article>", paragraph * 4400 + "</article>").encode()
    assert MAX_EXTRACTED_BYTES < len(page) < 2 * MAX_EXTRACTED_BYTES
    with FixtureServer() as server:
        result = crawl(tmp_path, one_article_site(server, Resource(page)))
    assert result.returncode == 0, result.log
    assert result.manifest() == []
    assert "too-large:1" in result.log
    assert archived_bodies(result.warc_files(), server.url(ARTICLE)) == [page]


@pytest.mark.parametrize(
    ("robots", "settings", "reason"),
    [
        (Resource(b"<html>down</html>", status=503), {}, "it answered 503"),
        (
            Resource(b"User-agent: *\nAllow: /\n" * 50, content_type="text/plain", cut_at=10),
            {},
            "the connection broke before its end",
        ),
        (
            Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain", delay=3),
            {"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "0"},
            "DownloadTimeoutError",
        ),
    ],
    ids=["503", "reset-mid-body", "timeout"],
)
def test_unreachable_robots_txt_keeps_the_crawler_off_the_host_and_is_an_error(
    robots: Resource, settings: dict[str, str], reason: str, tmp_path: Path
) -> None:
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(STORY))
        server.routes["/robots.txt"] = robots
        result = crawl(tmp_path, sources, settings)
        asked = set(server.paths())
    assert result.returncode == 3, result.log  # nothing worked: the only host is off limits
    assert asked == {"/robots.txt"}
    netloc = f"{server.host}:{server.port}"
    assert f"robots.txt of {netloc} cannot be read ({reason}" in result.log
    assert f"nothing is fetched from {netloc} this run (RFC 9309)" in result.log
    assert "'robotstxt/unavailable': 1" in result.log
    assert "'news/hostile/errors/robots_unavailable': 1" in result.log
    assert "errors 1" in result.log.split("Summary per source:")[1]
    assert result.manifest() == []


@pytest.mark.parametrize(
    "robots",
    [
        Resource(b"<html><body><h1>Not found</h1><p>Disallow: /</p></body></html>", status=404),
        Resource(random.Random(3).randbytes(3000), content_type="text/plain"),
        Resource(
            b"User-agent: *\n" + b"Disallow: /private/\n" * 40_000 + b"Disallow: /news/\n",
            content_type="text/plain",
        ),
    ],
    ids=["404-page-with-rules-text", "garbage", "huge"],
)
def test_missing_garbage_or_huge_robots_txt_still_lets_the_crawl_through(
    robots: Resource, tmp_path: Path
) -> None:
    with FixtureServer() as server:
        sources = one_article_site(server, Resource(STORY))
        server.routes["/robots.txt"] = robots
        result = crawl(tmp_path, sources)
    assert result.returncode == 0, result.log
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def test_robots_txt_redirected_to_another_host_is_obeyed_there(tmp_path: Path) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as elsewhere:
        sources = one_article_site(server, Resource(STORY))
        elsewhere.routes["/rules.txt"] = Resource(
            b"User-agent: *\nDisallow: /news/\n", content_type="text/plain"
        )
        server.routes["/robots.txt"] = Resource(
            status=301, headers=[("Location", elsewhere.url("/rules.txt"))]
        )
        result = crawl(tmp_path, sources)
        asked = server.paths()
    assert "/" in asked and ARTICLE not in asked, result.log
    assert "'robotstxt/forbidden': 1" in result.log


def test_broken_empty_gzipped_and_booby_trapped_feeds_and_sitemaps(tmp_path: Path) -> None:
    lol = (
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
        + "]>"
    )
    with FixtureServer() as server:
        feeds = ", ".join(
            f'"{server.url(path)}"' for path in ("/broken.rss", "/empty.rss", "/bomb.rss")
        )
        sources = (
            one_article_site(server, Resource(STORY))
            + f'feeds = [{feeds}]\nsitemaps = ["{server.url("/sitemap.xml.gz")}"]\n'
        )

        server.routes["/"] = Resource(
            pages.listing_html("Home", []).encode()
        )  # the article is only in the sitemap
        server.routes["/broken.rss"] = Resource(
            b"<rss><channel><item><link>", content_type="application/rss+xml"
        )
        server.routes["/empty.rss"] = Resource(b"", content_type="application/rss+xml")
        server.routes["/bomb.rss"] = Resource(
            f'<?xml version="1.0"?>{lol}<rss><channel><item><link>{server.url("/x/")}&i;</link></item></channel></rss>'.encode(),
            content_type="application/rss+xml",
        )
        urlset = f"<urlset><url><loc>{server.url(ARTICLE)}</loc></url></urlset>".encode()
        server.routes["/sitemap.xml.gz"] = Resource(
            gzip.compress(urlset), content_type="application/x-gzip"
        )
        result = crawl(tmp_path, sources)
        asked = server.paths()
    assert result.returncode == 1, (
        result.log
    )  # the broken feeds and sitemaps are errors of the source
    assert f"{server.url('/empty.rss')} is not an RSS or Atom feed" in result.log
    assert "'news/hostile/errors/bad_feed': " in result.log
    # The entity was never expanded, and the link it was in is left out as unknown.
    assert not any("/x/" in path or "aaaa" in path for path in asked), asked
    assert "'news/hostile/errors/feed_entities': 1" in result.log
    assert [entry["url"] for entry in result.manifest()] == [server.url(ARTICLE)]


def test_a_cut_body_is_no_capture_to_revisit_or_to_ask_conditionally_about(tmp_path: Path) -> None:
    with FixtureServer() as server:
        story = Resource(STORY, faults=[Resource(STORY, cut_at=300)])
        result = crawl(tmp_path, one_article_site(server, story))
        article_requests = [request for request in server.requests if request.path == ARTICLE]
    assert result.returncode == 0, result.log
    assert len(article_requests) == 2
    assert all("If-None-Match" not in request.headers for request in article_requests)
    assert "'warc/revisits'" not in result.log


def test_a_redirect_to_another_scheme_is_refused_live_and_from_the_archive(tmp_path: Path) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text(
        "<html><body><article>"
        + "<p>TOP SECRET local file text.</p>" * 40
        + "</article></body></html>"
    )
    with FixtureServer() as server:
        sources = one_article_site(
            server, Resource(status=302, headers=[("Location", f"file://{secret}")])
        )
        live = crawl(tmp_path / "live", sources)
    offline = crawl(tmp_path / "offline", sources, {"REPLAY_ARCHIVE": str(live.archive)})
    for result in (live, offline):
        assert result.returncode == exitcodes.PARTIAL, result.log
        assert f"to file://{secret} refused: only http and https are followed" in result.log
        assert "'redirect/scheme': 1" in result.log
        assert result.manifest() == [] and "TOP SECRET" not in result.log


def test_an_article_that_redirects_to_another_site_is_counted_with_its_address(
    tmp_path: Path,
) -> None:
    with FixtureServer() as server, FixtureServer(host="127.0.0.2") as elsewhere:
        elsewhere.routes[ARTICLE] = Resource(STORY)
        moved = Resource(status=301, headers=[("Location", elsewhere.url(ARTICLE))])
        result = crawl(tmp_path, one_article_site(server, moved))
        assert elsewhere.paths() == []
    assert result.returncode == 0, result.log
    assert (
        f"{server.url(ARTICLE)} redirects to {elsewhere.url(ARTICLE)}, off the sites of the "
        "sources: not followed"
    ) in result.log
    assert "filtered offsite-redirect:1" in result.log
