"""The probe spider: look at one site through Scrapy, as a crawl would, and report.

It fetches with ``engine.download_async`` so every downloader middleware applies
(robots.txt, the private-address guard, redirects, retries, decompression) while
nothing is archived, stored or remembered.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse

from corpus.urls import canonicalize, same_site
from scraper import discovery, exitcodes
from scraper.commandline import CommandFailed
from scraper.components import turn_off
from scraper.downloadermiddlewares.incremental import IncrementalMiddleware
from scraper.downloadermiddlewares.maxsize import MaxSizeMiddleware
from scraper.downloadermiddlewares.robots import PoliteRobotsTxtMiddleware
from scraper.downloadermiddlewares.warc import WarcMiddleware
from scraper.extensions.crawlstate import CrawlStateExtension
from scraper.extensions.summary import SourceSummary
from scraper.items import declared_encoding
from scraper.judge import Judge
from scraper.onboarding.findings import FeedFound, Findings, SampledPage, SitemapFound
from scraper.onboarding.patterns import segments
from scraper.sources import Source

if TYPE_CHECKING:
    import lxml.html
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

COMMON_FEED_PATHS = ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml")
COMMON_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml")
MAX_SECTIONS = 8
MAX_CHILD_SITEMAPS = 5

#: What a probe turns off, on top of the project's settings: it looks, it does not crawl.
TURNED_OFF = {
    "DOWNLOADER_MIDDLEWARES": (IncrementalMiddleware, WarcMiddleware, MaxSizeMiddleware),
    "EXTENSIONS": (CrawlStateExtension, SourceSummary),
}


def _answered(response: Response | str) -> Response | None:
    """``response`` if the server answered 200, else ``None``."""
    return response if not isinstance(response, str) and response.status == 200 else None


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, IgnoreRequest) else f"{type(error).__name__}: {text}"


class LookingSpider(Spider):
    """A spider that fetches through every downloader middleware (robots.txt, the address guard,
    redirects, retries) and archives, stores and remembers nothing."""

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        for setting, components in TURNED_OFF.items():
            turn_off(settings, setting, *components)
        settings.set("ITEM_PIPELINES", {}, priority="spider")
        settings.set("LOGSTATS_INTERVAL", 0, priority="spider")

    async def fetch(self, url: str) -> Response | str:
        """The response for ``url`` after redirects, or why there is none."""
        assert self.crawler.engine is not None
        try:
            return await self.crawler.engine.download_async(Request(url, dont_filter=True))
        except Exception as error:  # noqa: BLE001 - any failure is a finding to report, not a crash
            return _reason(error)


class ProbeSpider(LookingSpider):
    """Probe ``source``: explore a new site (``explore=True``) or sample a configured one."""

    name = "probe"

    def __init__(
        self, *args: Any, source: Source, explore: bool = False, samples: int = 5, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        self.explore = explore
        self.sample_size = samples
        self.findings = Findings(source.url)

    async def start(self) -> AsyncIterator[Request]:
        try:
            await self.probe()
        except Exception as error:  # the report must come back whatever happened
            logger.exception("Probe of %s failed", self.source.url)
            self.findings.error = f"probe failed: {_reason(error)}"
        return
        yield  # an async generator that schedules nothing: every fetch is awaited here

    def _crawl_delay(self) -> float:
        """The Crawl-delay robots.txt asks of the site, said at once: every later fetch of the
        probe waits for it, and the probe would otherwise be silent meanwhile."""
        robots = self.crawler.get_downloader_middleware(PoliteRobotsTxtMiddleware)
        netloc = urlsplit(self.source.url).netloc
        seconds = robots.crawl_delay(netloc) if robots is not None else 0.0
        if seconds:
            logger.warning(
                "robots.txt of %s asks a Crawl-delay: the probe asks one page at a time, %g s "
                "apart",
                netloc,
                seconds,
            )
        return seconds

    # --- fetching ---------------------------------------------------------------

    async def fetch_all(self, urls: Iterable[str]) -> list[tuple[str, Response | str]]:
        urls = list(urls)
        return list(zip(urls, await asyncio.gather(*(self.fetch(url) for url in urls))))

    def _site_links(self, links: Iterable[str]) -> list[str]:
        return list(
            dict.fromkeys(canonicalize(url) for url in links if same_site(url, self.source.host))
        )

    # --- the probe ------------------------------------------------------------

    async def probe(self) -> None:
        found = self.findings
        home = await self.fetch(self.source.url)
        if isinstance(home, str):
            found.error = f"{self.source.url} does not answer: {home}"
            return
        if home.status != 200:
            found.error = f"{self.source.url} answered HTTP {home.status}"
            return
        tree = discovery.parse_html(home.body, home.url, getattr(home, "encoding", None))
        if tree is None:
            found.error = f"{self.source.url} is not an HTML page"
            return
        found.crawl_delay = self._crawl_delay()
        links = self._site_links(discovery.page_links(tree))
        found.homepage_links = len(links)
        furniture = set(self._site_links(discovery.furniture_links(tree)))
        found.non_articles = sorted(
            furniture | {canonicalize(home.url), canonicalize(self.source.url)}
        )
        entries = await self.find_feeds(tree) + await self.find_sitemaps()
        if self.explore and not entries:
            found.sections = await self.find_sections(tree, furniture)
        elif not self.explore:
            found.sections = list(self.source.start_urls)
        page_links = links + await self.section_links(found.sections)
        found.non_articles = sorted(
            set(found.non_articles) | set(map(canonicalize, found.sections))
        )
        found.candidates = self._candidates(entries, page_links, furniture)
        found.samples = await self.sample(found.candidates)

    async def find_feeds(self, tree: lxml.html.HtmlElement) -> list[str]:
        """Feeds announced by the homepage (or configured), else at common paths."""
        announced = [url for url in discovery.feed_links(tree) if same_site(url, self.source.host)]
        if not self.explore:
            return await self._read_feeds(
                self.source.feeds or announced, "configured" if self.source.feeds else "link tag"
            )
        entries = await self._read_feeds(announced, "link tag")
        if self.findings.feeds:
            return entries
        return await self._read_feeds(
            [urljoin(self.source.url, path) for path in COMMON_FEED_PATHS],
            "common path",
            first_only=True,
        )

    async def _read_feeds(self, urls: list[str], via: str, first_only: bool = False) -> list[str]:
        entries: list[str] = []
        for url, response in await self.fetch_all(dict.fromkeys(urls)):
            answer = _answered(response)
            items = discovery.parse_feed(answer.body, answer.url) if answer else None
            if items is None:
                logger.info("No feed at %s", url)
                continue
            self.findings.feeds.append(FeedFound(url, len(items), via))
            entries += [item.url for item in items if not self.source.is_too_old(item.modified)]
            if first_only:
                break
        return entries

    async def find_sitemaps(self) -> list[str]:
        """Sitemaps of robots.txt (and configured ones), else at common paths; their page URLs."""
        robots = await self.fetch(urljoin(self.source.url, "/robots.txt"))
        listed = []
        answered = _answered(robots)
        if isinstance(answered, TextResponse):
            listed = discovery.sitemaps_from_robots(answered.text, answered.url)
        if not self.explore:
            return await self._read_sitemaps(
                [*self.source.sitemaps, *listed], "configured or robots.txt"
            )
        if listed:
            return await self._read_sitemaps(listed, "robots.txt")
        return await self._read_sitemaps(
            [urljoin(self.source.url, path) for path in COMMON_SITEMAP_PATHS], "common path"
        )

    async def _read_sitemaps(self, urls: list[str], via: str) -> list[str]:
        pages: list[discovery.Entry] = []
        for url, response in await self.fetch_all(dict.fromkeys(urls)):  # on any host, as crawled
            answer = _answered(response)
            sitemap = discovery.parse_sitemap(answer.body, answer.url) if answer else None
            if sitemap is None:
                logger.info("No sitemap at %s", url)
                continue
            found = list(sitemap.pages)
            children = [entry.url for entry in sitemap.sitemaps]
            for _, child in await self.fetch_all(children[:MAX_CHILD_SITEMAPS]):
                parsed = (
                    discovery.parse_sitemap(child.body, child.url)
                    if not isinstance(child, str)
                    else None
                )
                found += parsed.pages if parsed else []
            self.findings.sitemaps.append(SitemapFound(url, len(found), len(sitemap.sitemaps), via))
            pages += found
        pages = [entry for entry in pages if not self.source.is_too_old(entry.modified)]
        newest_first = sorted(
            pages,
            key=lambda entry: entry.modified.timestamp() if entry.modified else 0,
            reverse=True,
        )
        return [entry.url for entry in newest_first]

    async def find_sections(self, tree: lxml.html.HtmlElement, furniture: set[str]) -> list[str]:
        """Menu links of the homepage whose pages link to article-like URLs."""
        menu = [
            url
            for url in self._site_links(discovery.navigation_links(tree))
            if not discovery.DEFAULT_ARTICLE_PATH.search(url) and segments(url)
        ][:MAX_SECTIONS]
        sections = []
        for url, response in await self.fetch_all(menu):
            answer = _answered(response)
            page = (
                discovery.parse_html(answer.body, answer.url, getattr(answer, "encoding", None))
                if answer
                else None
            )
            if page is None:
                continue
            links = set(self._site_links(discovery.page_links(page))) - furniture
            if any(discovery.DEFAULT_ARTICLE_PATH.search(link) for link in links):
                sections.append(url)
        return sections

    async def section_links(self, sections: list[str]) -> list[str]:
        links: list[str] = []
        for _, response in await self.fetch_all(sections):
            page = (
                discovery.parse_html(
                    response.body, response.url, getattr(response, "encoding", None)
                )
                if not isinstance(response, str)
                else None
            )
            links += self._site_links(discovery.page_links(page)) if page is not None else []
        return links

    def _candidates(
        self, entries: list[str], page_links: list[str], furniture: set[str]
    ) -> list[str]:
        """Article URLs to sample: feed and sitemap entries, then article-like page links."""
        listed = [url for url in self._site_links(entries) if self.source.takes_article(url)]
        linked = [
            url
            for url in page_links
            if url not in furniture
            and self.source.takes_article(url, discovery.DEFAULT_ARTICLE_PATH)
        ]
        return list(dict.fromkeys([*listed, *linked]))

    # --- sampling -------------------------------------------------------------

    async def sample(self, candidates: list[str]) -> list[SampledPage]:
        """Fetch and judge candidates, across sections, until enough articles are seen."""
        queue = _spread(candidates)
        sampled: list[SampledPage] = []
        while queue and sum(page.is_article for page in sampled) < self.sample_size:
            wanted = self.sample_size - sum(page.is_article for page in sampled)
            batch, queue = queue[:wanted], queue[wanted:]
            for url, response in await self.fetch_all(batch):
                page = self.judge(url, response)
                if not (page.error and "robots.txt" in page.error):
                    sampled.append(page)
            if len(sampled) >= 3 * self.sample_size:
                break
        return sampled

    def judge(self, url: str, response: Response | str) -> SampledPage:
        """Extract and filter one page as the crawl's pipelines would."""
        if isinstance(response, str):
            return SampledPage(url, error=response)
        page = SampledPage(url, status=response.status)
        if response.status != 200:
            return page
        encoding = declared_encoding(response)
        from corpus.extract import (
            extract_article,  # not at import: every scrapy command loads this module
        )

        page.article = extract_article(
            response.body, response.url, encoding, self.source.extraction_options()
        )
        page.verdict = Judge.from_settings(self.settings).reason(page.article, self.source)
        return page


def _spread(urls: list[str]) -> list[str]:
    """``urls`` reordered round-robin over their first path segment, so samples span sections."""
    groups: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        groups[(segments(url) or [""])[0]].append(url)
    spread: list[str] = []
    while any(groups.values()):
        for key in list(groups):
            if groups[key]:
                spread.append(groups[key].pop(0))
    return spread


def run_probe(process: Any, source: Source, *, explore: bool, samples: int) -> Findings:
    """Run a :class:`ProbeSpider` in a command's crawler process and return its findings."""
    crawler = process.create_crawler(ProbeSpider)
    process.crawl(crawler, source=source, explore=explore, samples=samples)
    process.start()
    spider = crawler.spider
    if spider is None:
        return Findings(source.url, error="the probe could not start (see the log above)")
    assert crawler.stats is not None
    if crawler.stats.get_value("finish_reason") != "finished":  # Ctrl-C, SIGTERM
        raise CommandFailed(
            f"interrupted: the probe of {source.url} did not finish; nothing was written",
            exitcodes.INTERRUPTED,
        )
    return spider.findings
