"""The ``news`` spider: discover article URLs of every configured source and fetch them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from corpus.urls import canonicalize, same_site
from scraper import discovery, meta
from scraper.articles import DUPLICATE, UNCHANGED, ArticleItems
from scraper.crawlsources import Sources
from scraper.extensions.crawlstate import crawl_state
from scraper.failures import PageRefused
from scraper.items import PageItem
from scraper.limits import AskedHere, DiscoveryLimits, over
from scraper.linear import Pattern, too_long
from scraper.replay.handler import read_from_archive
from scraper.signals import article_settled
from scraper.sources import Source

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings

    from scraper.shared.asked import SharedAsked
    from scraper.statestore import CrawlStateStore

logger = logging.getLogger(__name__)

GONE = (404, 410)  # an article answering these is not asked for again
SITEMAP_BATCH = 200  # sitemap entries read between two turns of the reactor


def _requested_url(response: Response) -> str:
    """The canonical URL the spider asked for, before any redirect."""
    return canonicalize(response.meta.get(meta.REDIRECT_URLS, [response.url])[0])


def _encoding(response: Response) -> str | None:
    """The encoding of a text response (HTTP header, then markup), else ``None``."""
    return response.encoding if isinstance(response, TextResponse) else None


class NewsSpider(Spider):
    """Crawl the sources of ``SOURCES_FILE``; ``-a source=NAME[,NAME]`` picks some."""

    name = "news"
    articles: ArticleItems  # made in from_crawler
    allowed_domains: list[str]  # the selected sources' sites, for OffsiteMiddleware

    def __init__(self, *args: Any, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_names = source
        self.sources = Sources()
        self.seen: set[str] = set()
        self.state: CrawlStateStore | None = None
        self.limits: dict[str, DiscoveryLimits] = {}
        self.sitemaps_asked: dict[str, set[str]] = {}
        self.sitemaps_cut: set[str] = set()  # each counted once, however often it is listed
        self.asked: AskedHere | SharedAsked = AskedHere()  # max_articles, per source and run
        self.cut_warned: set[tuple[str, str]] = set()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        agent = settings.get("USER_AGENT") or ""
        if "{contact_url}" in agent:
            contact = agent.replace("{contact_url}", settings.get("CONTACT_URL"))
            # Spider priority at least: the runner merges its project settings in again later.
            priority = max(settings.getpriority("USER_AGENT") or 0, SETTINGS_PRIORITIES["spider"])
            settings.set("USER_AGENT", contact, priority=priority)
        if settings.get("REPLAY_ARCHIVE"):
            read_from_archive(settings)
        if settings.get("REDIS_URL"):
            from scraper.shared.config import share_through_redis

            share_through_redis(settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.sources = Sources.from_crawler(crawler, spider.source_names)
        spider.articles = ArticleItems(crawler)
        selected = spider.sources.values()
        spider.limits = {
            source.name: DiscoveryLimits.of(source, crawler.settings) for source in selected
        }
        spider.allowed_domains = sorted({s.host.removeprefix("www.") for s in selected})
        if crawler.settings.get("REDIS_URL"):
            from scraper.shared.asked import SharedAsked
            from scraper.shared.connection import connect, keys

            names = keys(crawler.settings)
            spider.asked = SharedAsked(connect(crawler.settings), *names.asked)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    # --- requests ---------------------------------------------------------

    def _request(self, url: str, source: Source, kind: str, callback: Any, **more: Any) -> Request:
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            meta={meta.SOURCE: source.name, meta.KIND: kind, **more},
        )

    async def start(self) -> AsyncIterator[Request]:
        self.state = crawl_state(self.crawler)
        for source in self.sources.values():
            logger.info("Source %s: %s", source.name, source.url)
            for request in self._recrawl_requests(source):
                yield request
            if not self.settings.getbool("ROBOTSTXT_OBEY"):
                robots = urljoin(source.url, "/robots.txt")
                yield self._request(robots, source, "robots", self.parse_robots)
            yield self._request(source.url, source, "home", self.parse_home)
            for url in source.feeds:  # configured: fetched wherever it is (feedburner, a CDN)
                yield self._request(
                    url, source, "feed", self.parse_feed, **{meta.ALLOW_OFFSITE: True}
                )
            for url in source.sitemaps:
                for request in self._sitemap_requests(url, source, depth=0):
                    yield request
            for url in source.start_urls:
                yield self._request(url, source, "section", self.parse_section, page=1)

    def _source(self, response: Response) -> Source:
        return self.sources[response.meta[meta.SOURCE]]

    def _stat(self, source: Source, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"news/{source.name}/{key}", count)

    def _cut(self, source: Source, what: str, message: str) -> None:
        """Count one thing a discovery limit left out (``cut/<what>``); warn the first time."""
        self._stat(source, f"cut/{what}")
        if (source.name, what) not in self.cut_warned:
            self.cut_warned.add((source.name, what))
            logger.warning("Source %s: %s", source.name, message)

    def _sitemap_requests(self, url: str, source: Source, depth: int) -> Iterator[Request]:
        """The request of a sitemap, unless it was asked for already or a limit says no."""
        asked = self.sitemaps_asked.setdefault(source.name, set())
        if url in asked or url in self.sitemaps_cut:
            return
        limits = self.limits[source.name]
        if limits.max_sitemap_depth and depth > limits.max_sitemap_depth:
            self._cut(
                source,
                "sitemap_depth",
                f"sitemap {url} is {depth} indexes deep, past max_sitemap_depth "
                f"({limits.max_sitemap_depth}): not fetched, nor any like it",
            )
            self.sitemaps_cut.add(url)
            return
        if over(len(asked), limits.max_sitemaps):
            self._cut(
                source,
                "sitemaps",
                f"{limits.max_sitemaps} sitemaps fetched (max_sitemaps): "
                f"{url} and any further ones are not",
            )
            self.sitemaps_cut.add(url)
            return
        asked.add(url)
        # Named by the configuration, robots.txt or a sitemap index: fetched wherever it is.
        yield self._request(
            url,
            source,
            "sitemap",
            self.parse_sitemap,
            sitemap_depth=depth,
            **{meta.ALLOW_OFFSITE: True},
        )

    def _recrawl_requests(self, source: Source) -> Iterator[Request]:
        if self.state is None or source.recrawl_after_days is None:
            return
        cutoff = datetime.now(UTC) - timedelta(days=source.recrawl_after_days)
        # Not marked seen: found again by discovery, each is counted as discovered and known.
        for url in self.state.articles_fetched_before(
            source.name, cutoff.strftime("%Y-%m-%dT%H:%M:%S")
        ):
            self._stat(source, "recrawled")
            yield self._request(url, source, "article", self.parse_article, recrawl=True)

    def _done(self, canonical: str) -> bool:
        """Whether an earlier run settled this article (a killed run may have left it pending)."""
        known = self.state.get(canonical) if self.state else None
        return bool(known and known.outcome)

    def _article_requests(
        self,
        source: Source,
        urls: Iterable[str],
        default_pattern: Pattern | None = None,
    ) -> Iterator[Request]:
        length_limit = self.settings.getint("URLLENGTH_LIMIT")
        most = self.limits[source.name].max_articles
        for url in urls:
            if too_long(url, length_limit):
                self._stat(source, "skipped_long_url")
                logger.debug(
                    "Source %s: link of %d characters skipped (URLLENGTH_LIMIT)",
                    source.name,
                    len(url),
                )
                continue
            canonical = canonicalize(url)
            if canonical in self.seen or not source.takes_article(canonical, default_pattern):
                continue
            self.seen.add(canonical)
            self._stat(source, "discovered")
            if self._done(canonical):
                self._stat(source, "known")
                continue
            if not self.asked.ask(source.name, canonical, most):
                self._cut(
                    source,
                    "articles",
                    f"{most} new articles asked for this run (max_articles): "
                    "the others wait for the next run",
                )
                continue
            yield self._request(canonical, source, "article", self.parse_article)

    # --- discovery callbacks ---------------------------------------------

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        source = self.sources.get(request.meta.get(meta.SOURCE, ""))
        parser = getattr(robotparser, "rp", None)
        if source is None or parser is None:
            return
        for url in getattr(parser, "sitemaps", []):
            for sitemap in self._sitemap_requests(url, source, depth=0):
                self.crawler.engine.crawl(sitemap)

    def parse_robots(self, response: Response) -> Iterator[Request]:
        source = self._source(response)
        for url in discovery.sitemaps_from_robots(
            response.text if isinstance(response, TextResponse) else "", response.url
        ):
            yield from self._sitemap_requests(url, source, depth=0)

    def parse_home(self, response: Response) -> Iterator[Request]:
        source = self._source(response)
        tree = discovery.parse_html(response.body, response.url, _encoding(response))
        if tree is None:
            logger.warning("Source %s: homepage %s is not HTML", source.name, response.url)
            return
        if not source.feeds:
            for url in discovery.feed_links(tree):
                if same_site(url, source.host):
                    yield self._request(url, source, "feed", self.parse_feed)
        yield from self._section(response, tree, source, page=1)

    def parse_section(self, response: Response) -> Iterator[Request]:
        tree = discovery.parse_html(response.body, response.url, _encoding(response))
        if tree is not None:
            yield from self._section(
                response, tree, self._source(response), response.meta[meta.PAGE]
            )

    def _section(
        self, response: Response, tree: Any, source: Source, page: int
    ) -> Iterator[Request]:
        yield from self._article_requests(
            source, discovery.page_links(tree), discovery.DEFAULT_ARTICLE_PATH
        )
        following = discovery.next_page(tree)
        if following and page < source.max_section_pages and same_site(following, source.host):
            yield self._request(following, source, "section", self.parse_section, page=page + 1)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        source = self._source(response)
        feed = discovery.read_feed(response.body, response.url)
        if feed is None:
            logger.warning("Source %s: %s is not an RSS or Atom feed", source.name, response.url)
            self._stat(source, "errors/bad_feed")
            return
        if feed.cut:
            self._read_in_part(source, response.url, "feed")
        if feed.refused:
            logger.warning(
                "Source %s: %s: left out %d entity declaration(s) and items linking through one",
                source.name,
                response.url,
                feed.refused,
            )
            self._stat(source, "errors/feed_entities")
        entries = feed.entries
        fresh = [entry.url for entry in entries if not source.is_too_old(entry.modified)]
        self._stat(source, "skipped_old", len(entries) - len(fresh))
        yield from self._article_requests(source, fresh)

    async def parse_sitemap(self, response: Response) -> AsyncIterator[Request]:
        """Requests for a sitemap's entries, made as they are read; every ``SITEMAP_BATCH``
        entries the reactor runs, so the first articles are fetched while the rest is still
        unread. Memory holds one entry at a time."""
        source = self._source(response)
        stream = discovery.iter_sitemap(response.body, response.url)
        if stream is None:
            logger.warning("Source %s: %s is not a sitemap", source.name, response.url)
            self._stat(source, "errors/bad_sitemap")
            return
        for request in self._sitemap_entries(stream, source, response):
            if request is None:
                await asyncio.sleep(0)
            else:
                yield request
        if stream.cut:
            self._read_in_part(source, response.url, "sitemap")
        if stream.refused:
            logger.warning(
                "Source %s: %s: left out %d entity declaration(s) and entries using undeclared entities",
                source.name,
                response.url,
                stream.refused,
            )
            self._stat(source, "errors/sitemap_entities")

    def _read_in_part(self, source: Source, url: str, kind: str) -> None:
        """Say that a gzipped sitemap or feed inflates past ``MAX_XML_BYTES``, of which only
        the first were read: an error of its source (``errors/sitemap_cut``, ``errors/feed_cut``)."""
        logger.warning(
            "Source %s: %s inflates past %d MiB: the entries after its first %d MiB were not read",
            source.name,
            url,
            discovery.MAX_XML_BYTES >> 20,
            discovery.MAX_XML_BYTES >> 20,
        )
        self._stat(source, f"errors/{kind}_cut")

    def _sitemap_entries(
        self, stream: discovery.SitemapStream, source: Source, response: Response
    ) -> Iterator[Request | None]:
        """The requests of a sitemap's entries, and ``None`` every ``SITEMAP_BATCH`` entries."""
        depth = response.meta.get(meta.SITEMAP_DEPTH, 0)
        limit = self.limits[source.name].max_sitemap_urls
        for taken, entry in enumerate(stream):
            if over(taken, limit):
                self._cut(
                    source,
                    "sitemap_urls",
                    f"{response.url} holds more than {limit} URLs (max_sitemap_urls): "
                    "the rest is not read",
                )
                return
            if taken % SITEMAP_BATCH == SITEMAP_BATCH - 1:
                yield None  # a pause for the reactor, even while entries are known or too old
            if source.is_too_old(entry.modified):
                self._stat(source, "skipped_old")
            elif stream.kind == "sitemapindex":
                if same_site(entry.url, source.host):
                    yield from self._sitemap_requests(entry.url, source, depth + 1)
            else:
                yield from self._article_requests(source, (entry.url,))

    # --- articles ----------------------------------------------------------

    def _settle(self, response: Response, source: Source, reason: str) -> None:
        """Leave an unfit article out: counted and signalled as filtered, its outcome recorded."""
        self.articles.filtered(source, reason, response.url)
        self._record_outcome(_requested_url(response), f"filtered:{reason}", source.name)

    def _record_outcome(self, url: str, outcome: str, source: str | None) -> None:
        self.crawler.signals.send_catch_log(
            article_settled, url=url, outcome=outcome, source=source
        )

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        source = self._source(response)
        recrawl = bool(response.meta.get(meta.RECRAWL))
        if recrawl and meta.ARCHIVED in response.flags:  # a 304, answered from the archive
            self.articles.filtered(source, UNCHANGED, response.url)
            return
        if meta.DATALOSS in response.flags:  # not retried again (DataLossRetryMiddleware)
            logger.warning(
                "%s broke off mid-body on its last try: archived cut (WARC-Truncated: disconnect), "
                "not extracted; the next run asks for it again",
                response.url,
            )
            self._stat(source, "errors/disconnected")
            return
        problem = self.articles.unfit(response)
        if problem:
            self._settle(response, source, problem)
            return
        yield self.articles.item(
            response,
            source,
            fetched_at=response.meta.get(meta.WARC_DATE, ""),
            warc=response.meta.get(meta.WARC, {}),
            requested_url=_requested_url(response),
            recrawl=recrawl,
        )

    def request_dropped(self, request: Request) -> None:
        """Settle an article whose redirect leads to a URL this run asked for already (the
        scheduler drops the redirect as seen): counted as a duplicate, its outcome recorded,
        so later runs do not ask for its address again."""
        chain = request.meta.get(meta.REDIRECT_URLS)
        source = self.sources.get(request.meta.get(meta.SOURCE, ""))
        if request.meta.get(meta.KIND) != "article" or not chain or source is None:
            return
        logger.debug("%s redirects to %s, asked for already: a duplicate", chain[0], request.url)
        self.articles.filtered(source, DUPLICATE, chain[0])
        self._record_outcome(canonicalize(chain[0]), f"filtered:{DUPLICATE}", source.name)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        source = self.sources.get(request.meta.get(meta.SOURCE, ""))
        if failure.check(HttpError):
            status = failure.value.response.status
            kind = request.meta.get(meta.KIND)
            if kind == "article" and status in GONE:
                logger.info("HTTP %d from %s (%s)", status, request.url, kind)
                self._record_outcome(
                    canonicalize(request.url), f"http:{status}", request.meta.get(meta.SOURCE)
                )
                return
            logger.warning("HTTP %d from %s (%s)", status, request.url, kind)
            if source is not None:
                self._stat(source, "errors/http")
            return
        if failure.check(PageRefused):  # its middleware logged why
            if source is not None:
                self._stat(source, "errors/refused")
            return
        if failure.check(IgnoreRequest):
            logger.debug("Not fetched %s: %s", request.url, failure.getErrorMessage())
            return
        reason = failure.getErrorMessage() or failure.type.__name__
        logger.warning("Cannot fetch %s: %s: %s", request.url, failure.type.__name__, reason)
        if source is not None:
            self._stat(source, "errors")
