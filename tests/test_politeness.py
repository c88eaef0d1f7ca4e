"""Politeness knobs seen from the server: the User-Agent's contact URL, the size cap and
robots.txt's Crawl-delay."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from sitefixture import FixtureServer, Resource, pages
from sitefixture.scrapyrun import CrawlResult, run_signalled
from tests.conftest import TEST_SETTINGS, ServedSite, crawl, slow_and_fast

HUGE_PATH = "/news/2026/11/20/a-very-long-story"
CAP = 50_000
#: A request may reach the server this much sooner after the one before than its delay says: the
#: crawl process can be a little late sending the earlier one (about 40 ms seen on a busy machine).
SCHEDULING_MARGIN = 0.1


def small_site(server: FixtureServer) -> str:
    server.routes["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    server.routes["/"] = Resource(
        pages.listing_html("Home", [(HUGE_PATH, "A very long story")]).encode()
    )
    huge = (
        "<html><body><article>"
        + "<p>Venezuela and Russia sign more papers.</p>" * 5000
        + "</article></body></html>"
    )
    server.routes[HUGE_PATH] = Resource(huge.encode())
    return f'[[source]]\nname = "small"\nurl = "{server.base_url}/"\n'


def test_contact_url_setting_goes_into_the_user_agent(tmp_path: Path) -> None:
    with FixtureServer() as server:
        result = crawl(
            tmp_path,
            small_site(server),
            settings={"CONTACT_URL": "https://example.org/crawler-contact"},
        )
        assert result.returncode == 0, result.log
        agents = {request.headers["User-Agent"] for request in server.requests}
    assert agents == {"news-archiver/0.1 (+https://example.org/crawler-contact)"}


def test_oversized_response_is_archived_truncated(tmp_path: Path) -> None:
    with FixtureServer() as server:
        result = crawl(tmp_path, small_site(server), settings={"DOWNLOAD_MAXSIZE": str(CAP)})
    assert result.returncode == 0, result.log
    assert f"Response of http://127.0.0.1:{server.port}{HUGE_PATH} cut at" in result.log
    [path] = result.warc_files()
    with path.open("rb") as stream:
        captured = [
            (record, record.raw_stream.read())
            for record in ArchiveIterator(stream)
            if record.rec_type == "response" and HUGE_PATH in record.rec_headers["WARC-Target-URI"]
        ]
    assert len(captured) == 1
    record, body = captured[0]
    assert record.rec_headers["WARC-Truncated"] == "length"
    assert CAP < len(body) < len(server.routes[HUGE_PATH].body)
    assert record.http_headers["Content-Length"] == str(len(body))
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert result.manifest() == []  # a cut page is not extracted into the corpus
    assert "filtered truncated:1" in result.log


def test_a_page_cut_at_the_size_limit_is_settled_and_not_asked_for_again(tmp_path: Path) -> None:
    with FixtureServer() as server:
        sources = small_site(server)
        first = crawl(tmp_path, sources, settings={"DOWNLOAD_MAXSIZE": str(CAP)})
        assert first.returncode == 0, first.log
        asked_first = server.paths().count(HUGE_PATH)
        again = crawl(tmp_path, sources, settings={"DOWNLOAD_MAXSIZE": str(CAP)})
    assert again.returncode == 0, again.log
    assert asked_first == 1 and server.paths().count(HUGE_PATH) == 1
    assert "filtered truncated:1" not in again.log


def starts_after_robots(server: FixtureServer) -> list[float]:
    """When each request after robots.txt reached ``server``."""
    starts = [request.at for request in server.requests]
    first = next(n for n, request in enumerate(server.requests) if request.path == "/robots.txt")
    return starts[first + 1 :]


def with_crawl_delay(site: ServedSite, group: str) -> None:
    """Add ``group`` to the site's robots.txt."""
    site.server.routes["/robots.txt"].body += f"\n{group}".encode()


def crawl_behind(
    site: ServedSite, workdir: Path, group: str, settings: dict[str, str] | None = None
) -> CrawlResult:
    """Crawl ``site`` once ``group`` is added to its robots.txt."""
    with_crawl_delay(site, group)
    return crawl(workdir, site.site.source_toml(site.server.base_url), settings=settings)


def test_a_crawl_delay_holds_its_host_whatever_autothrottle_measures(
    news_site: ServedSite, tmp_path: Path
) -> None:
    delay = 0.4
    # AutoThrottle from DOWNLOAD_DELAY 0 on a fast loopback site would soon ask at once.
    result = crawl_behind(
        news_site,
        tmp_path,
        f"User-agent: news-archiver\nCrawl-delay: {delay}\n",
        {"AUTOTHROTTLE_ENABLED": "True", "AUTOTHROTTLE_START_DELAY": "0"},
    )
    assert result.returncode == 0, result.log
    gaps = [later - earlier for earlier, later in pairwise(starts_after_robots(news_site.server))]
    assert len(gaps) > 10
    assert min(gaps) >= delay - SCHEDULING_MARGIN, sorted(gaps)[:5]
    host = f"127.0.0.1:{news_site.server.port}"
    assert f"robots.txt of {host} asks a Crawl-delay of 0.4 s: one request at a time" in result.log
    assert {entry["canonical_url"] for entry in result.manifest()} == news_site.corpus_urls()


def test_a_crawl_delay_asks_one_page_at_a_time(news_site: ServedSite, tmp_path: Path) -> None:
    news_site.server.delay = 0.3  # slower than the Crawl-delay: four would be in flight at once
    result = crawl_behind(news_site, tmp_path, "User-agent: *\nCrawl-delay: 0.05\n")
    assert result.returncode == 0, result.log
    assert news_site.server.peak_in_flight == 1


def test_a_crawl_delay_past_the_limit_is_cut_to_it_with_a_warning(
    news_site: ServedSite, tmp_path: Path
) -> None:
    result = crawl_behind(
        news_site,
        tmp_path,
        "User-agent: *\nCrawl-delay: 3600\n",
        {"ROBOTSTXT_CRAWL_DELAY_MAX": "0.3"},
    )
    assert result.returncode == 0, result.log
    gaps = [later - earlier for earlier, later in pairwise(starts_after_robots(news_site.server))]
    assert min(gaps) >= 0.3 - SCHEDULING_MARGIN, sorted(gaps)[:5]
    assert max(gaps) < 3, sorted(gaps)[-5:]
    assert (
        "asks a Crawl-delay of 3600 s, more than ROBOTSTXT_CRAWL_DELAY_MAX (0.3 s): "
        "one request at a time, 0.3 s apart"
    ) in result.log
    assert "'robotstxt/crawl_delay_cut': 1" in result.log


def test_a_host_behind_a_crawl_delay_leaves_the_downloader_to_other_sources(
    tmp_path: Path,
) -> None:
    """A request waiting in a slot holds a place of CONCURRENT_REQUESTS. The slow site's
    articles, queued last, came first from Scrapy's former last-in-first-out queue
    (ScrapyPriorityQueue) and filled the downloader: the fast site's last article waited
    until 11.3 s, against 3.5 s with its DownloaderAwarePriorityQueue."""
    with slow_and_fast() as sites:
        result = crawl(tmp_path, sites.sources(), {"CONCURRENT_REQUESTS": "4"})
        assert result.returncode == 0, result.log
        assert sites.fast_done_early()


def test_a_stop_behind_a_crawl_delay_sends_no_queued_request(
    news_site: ServedSite, tmp_path: Path
) -> None:
    """A graceful stop waited for every request queued behind the delay, fetching them all."""
    with_crawl_delay(news_site, "User-agent: *\nCrawl-delay: 2\n")
    sources = tmp_path / "sources.toml"
    sources.write_text(news_site.site.source_toml(news_site.server.base_url))
    settings = {**TEST_SETTINGS, "SOURCES_FILE": str(sources), "DATA_DIR": str(tmp_path / "data")}
    asked: list[int] = []

    def third_request_in() -> bool:
        asked[:] = [len(news_site.server.requests)]
        return asked[0] >= 3

    code, log = run_signalled(
        ["crawl", "news"],
        tmp_path,
        settings,
        [("Crawl-delay", signal.SIGTERM)],
        ready=third_request_in,
    )
    assert code == 130, log
    # One more may start before the stop is seen (it is looked for every 0.5 s).
    assert len(news_site.server.requests) <= asked[0] + 1, news_site.server.paths()
    stopping = re.search(r"Stopping: (\d+) queued request\(s\) not sent", log)
    assert stopping and int(stopping[1]) > 0, log
    # Those left in the scheduler count too: the summary says as many are not made.
    pending = stat(log, "scheduler/enqueued") - stat(log, "scheduler/dequeued")
    not_made = re.search(r"stopped early: interrupted \(Ctrl-C, SIGTERM\): (\d+) queued", log)
    assert not_made and int(not_made[1]) == pending + stat(log, "downloader/not_sent_on_stop"), log


def test_a_stop_asks_no_retry_of_a_robots_txt_that_hung(
    news_site: ServedSite, tmp_path: Path
) -> None:
    """The engine downloads robots.txt itself, retries included: a stopped crawl tried it
    RETRY_TIMES more times, waiting DOWNLOAD_TIMEOUT each."""
    news_site.server.routes["/robots.txt"].delay = 30
    sources = tmp_path / "sources.toml"
    sources.write_text(news_site.site.source_toml(news_site.server.base_url))
    settings = {
        **TEST_SETTINGS,
        "SOURCES_FILE": str(sources),
        "DATA_DIR": str(tmp_path / "data"),
        "DOWNLOAD_TIMEOUT": "2",
    }
    code, log = run_signalled(
        ["crawl", "news"],
        tmp_path,
        settings,
        [("Spider opened", signal.SIGINT)],
        ready=lambda: bool(news_site.server.requests),
    )
    assert code == 130, log
    assert news_site.server.paths() == ["/robots.txt"], log
    assert "Not retrying <GET " + news_site.url("/robots.txt") + ">: the crawl is stopping" in log
    assert "'retry/not_on_stop': 1" in log


def test_a_closespider_limit_behind_a_crawl_delay_ends_without_the_queued_requests(
    news_site: ServedSite, tmp_path: Path
) -> None:
    result = crawl_behind(
        news_site, tmp_path, "User-agent: *\nCrawl-delay: 2\n", {"CLOSESPIDER_TIMEOUT": "3"}
    )
    assert result.returncode == 1, result.log
    # robots.txt, the home page, one more at 2 s; one may start before the stop is seen.
    assert len(news_site.server.requests) <= 4, news_site.server.paths()
    left = re.search(
        r"stopped early: CLOSESPIDER_TIMEOUT reached: (\d+) queued request", result.log
    )
    assert left and int(left[1]) > 0, result.log[-2000:]


def stat(log: str, name: str) -> int:
    """A figure of Scrapy's stats dump in ``log``; 0 when it is not there."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found[1]) if found else 0
