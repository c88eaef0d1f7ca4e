"""What a probe of a site found, and how it reads on a terminal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from corpus.article import Article
from scraper.linear import compile_linear
from scraper.onboarding.patterns import propose_pattern, segments


@dataclass
class FeedFound:
    """A working RSS or Atom feed and how it was found."""

    url: str
    items: int
    via: str


@dataclass
class SitemapFound:
    """A working sitemap (or sitemap index) and how it was found."""

    url: str
    urls: int
    children: int
    via: str


@dataclass
class SampledPage:
    """One sampled URL: fetched, extracted and judged like a crawl would."""

    url: str
    status: int | None = None
    error: str | None = None
    article: Article | None = None
    verdict: str | None = None  # the filter's rejection reason; None means it would be written

    @property
    def is_article(self) -> bool:
        return (
            self.status == 200 and self.article is not None and self.verdict in (None, "off-topic")
        )


@dataclass
class Findings:
    """Everything a probe learnt about one site."""

    url: str
    error: str | None = None
    homepage_links: int = 0
    crawl_delay: float = 0.0  # seconds robots.txt asks between requests (as kept; 0: none)
    feeds: list[FeedFound] = field(default_factory=list)
    sitemaps: list[SitemapFound] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    non_articles: list[str] = field(default_factory=list)  # the homepage, its menus and sections
    samples: list[SampledPage] = field(default_factory=list)

    @property
    def articles(self) -> list[SampledPage]:
        return [page for page in self.samples if page.is_article]

    @property
    def language(self) -> str | None:
        votes = Counter(
            page.article.language
            for page in self.articles
            if page.article and page.article.language
        )
        return votes.most_common(1)[0][0] if votes else None

    def proposed_pattern(self) -> str | None:
        """An ``article_pattern`` for the sampled articles and the candidates shaped like them."""
        verified = [page.url for page in self.articles]
        lengths = {len(segments(url)) for url in verified}
        similar = [url for url in self.candidates if len(segments(url)) in lengths]
        return propose_pattern(dict.fromkeys([*verified, *similar]), self.non_articles)


def _count(matches: int, total: int, what: str) -> str:
    return f"{matches}/{total} {what}"


def describe(findings: Findings, pattern: str | None) -> list[str]:
    """The report of a probe for a new source, line by line."""
    lines = describe_discovery(findings)
    lines += ["    " + sample_line(page) for page in findings.samples]
    lines.append(f"  language {findings.language or 'unknown'}")
    return lines + describe_pattern(findings, pattern)


def describe_discovery(findings: Findings) -> list[str]:
    """Where the probe looked for articles and what it found there."""
    lines = [
        f"Site {findings.url}: homepage answered, {findings.homepage_links} links to the same site"
    ]
    if findings.crawl_delay:
        lines.append(
            f"  robots.txt Crawl-delay: one request at a time, {findings.crawl_delay:g} s apart, "
            f"at most {3600 / findings.crawl_delay:,.0f} pages an hour"
        )
    for feed in findings.feeds:
        lines.append(f"  feed     {feed.url} ({feed.items} items; {feed.via})")
    for sitemap in findings.sitemaps:
        kind = f"index of {sitemap.children} sitemaps, " if sitemap.children else ""
        lines.append(f"  sitemap  {sitemap.url} ({kind}{sitemap.urls} URLs; {sitemap.via})")
    if not findings.feeds and not findings.sitemaps:
        lines.append("  no feed and no sitemap found")
    for section in findings.sections:
        lines.append(f"  section  {section}")
    lines.append(
        f"  {len(findings.candidates)} candidate article URLs; sampled {len(findings.samples)}:"
    )
    return lines


def describe_pattern(findings: Findings, pattern: str | None) -> list[str]:
    """How well ``pattern`` tells the site's articles from its other links."""
    if pattern:
        compiled = compile_linear(pattern)

        def hits(urls: list[str]) -> int:
            return sum(1 for url in urls if compiled.search(url))

        verified = [page.url for page in findings.articles]
        others = findings.non_articles
        return [
            (
                f"  article_pattern '{pattern}' matches {_count(hits(verified), len(verified), 'sampled articles')}, "
                f"{_count(hits(others), len(others), 'non-article links')}, "
                f"{_count(hits(findings.candidates), len(findings.candidates), 'candidate URLs')}"
            )
        ]
    return ["  no article_pattern proposed: the crawl keeps its default article heuristics"]


def sample_line(page: SampledPage) -> str:
    """One sampled page: verdict, words and headline."""
    if page.error:
        return f"error  {page.url}: {page.error}"
    if page.status != 200:
        return f"HTTP {page.status}  {page.url}"
    verdict = "ok" if page.verdict is None else page.verdict
    article = page.article
    words = f"{article.words:>5} words" if article else "    - words"
    headline = (article.title if article else "") or "(no headline)"
    return f"{verdict:<10} {words}  {headline[:70]}  <{page.url}>"
