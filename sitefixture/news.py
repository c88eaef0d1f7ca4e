"""The fixture news site: every discovery path, boilerplate and trap a crawl meets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sitefixture import pages
from sitefixture.pages import FixtureArticle
from sitefixture.server import Resource
from sitefixture.text import paragraphs

ARTICLE_PATTERN = r"/news/\d{4}/\d{2}/\d{2}/"


@dataclass
class NewsSite:
    """Routes of the site plus what a correct crawl must find in it."""

    routes: dict[str, Resource]
    articles: dict[str, FixtureArticle]
    corpus_paths: list[str] = field(default_factory=list)
    never_fetched: list[str] = field(default_factory=list)
    offsite_urls: list[str] = field(default_factory=list)

    def source_toml(self, base_url: str, name: str = "fixture", **extra: str) -> str:
        """Return a ``[[source]]`` block for this site."""
        lines = [
            "[[source]]",
            f'name = "{name}"',
            f'url = "{base_url}/"',
            'language = "en"',
            f"article_pattern = '{ARTICLE_PATTERN}'",
            "max_age_days = 30",
            f'start_urls = ["{base_url}/section/world/", "{base_url}/section/economy/"]',
            'keywords = [["Venezuela", "Venezuelan", "Caracas", "Maduro"], ["Russia", "Russian", "Moscow", "Kremlin", "Putin", "Lavrov"]]',
        ]
        lines += [f"{key} = {value}" for key, value in extra.items()]
        return "\n".join(lines) + "\n"


def news_article(
    key: str, day: datetime, title: str, *, section: str = "world", on_topic: bool = True
) -> FixtureArticle:
    """An article published on ``day`` at ``/news/YYYY/MM/DD/<title as a slug>``, its
    paragraphs drawn from ``key``."""
    slug = title.lower().replace(" ", "-").replace(",", "")
    return FixtureArticle(
        path=f"/news/{day:%Y/%m/%d}/{slug}",
        title=title,
        paragraphs=paragraphs(key, on_topic),
        published=day.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        section=section,
        on_topic=on_topic,
    )


def build_news_site(
    base_url: str, offsite_base: str, now: datetime | None = None, *, later: bool = False
) -> NewsSite:
    """Return the routes of the fixture site served at ``base_url``.

    ``later=True`` gives the same site after one more article was published: it
    heads the world section and the RSS feed, which thereby change; nothing else does.
    """
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    d = [now - timedelta(days=n, hours=n) for n in range(12)]
    arts = {
        "a1": news_article("a1", d[1], "Russia and Venezuela reinforce security coordination"),
        "a2": news_article("a2", d[2], "Venezuela approves strategic treaty with Russia"),
        "a3": news_article("a3", d[3], "Moscow sends engineers to Venezuelan oil fields"),
        "a4": news_article("a4", d[4], "Lavrov defends Caracas at the United Nations"),
        "a5": news_article("a5", d[5], "Russian banks open branches in Caracas", section="economy"),
        "a6": news_article(
            "a6", d[6], "Local team wins the regional cup final", section="economy", on_topic=False
        ),
        "a7": news_article("a7", d[7], "Putin and Maduro speak by phone about oil"),
        "a8": news_article("a8", d[8], "City opens a new cycling lane", on_topic=False),
        "a9": news_article("a9", d[9], "Venezuelan lawmakers praise the Kremlin partnership"),
        "a10": news_article(
            "a10", now - timedelta(days=400), "Old news about Venezuela and Russia from last year"
        ),
        "a11": news_article("a11", d[10], "Russian aircraft land in Venezuela for joint drills"),
        "p": news_article("p", d[2], "Insider report on Venezuela Russia deals"),
    }
    if later:
        arts["a12"] = news_article(
            "a12", now - timedelta(hours=1), "Kremlin envoy lands in Caracas for talks"
        )
    arts["p"].path = "/private/insider-report-on-venezuela-russia-deals"
    old_path = f"/news/{d[10]:%Y/%m/%d}/russian-aircraft-old-address"
    listing_path = f"/news/{d[1]:%Y/%m/%d}/live-updates-all-stories-of-the-day"
    offsite = f"{offsite_base}/news/{d[1]:%Y/%m/%d}/offsite-story-on-venezuela-and-russia"
    url = lambda a: base_url + a.path
    rfc = lambda a: format_datetime(datetime.fromisoformat(a.published))
    related = [arts["a1"], arts["a2"], arts["a6"]]

    routes: dict[str, Resource] = {}
    for key, art in arts.items():
        routes[art.path] = Resource(
            pages.article_html(art, base_url, related).encode(),
            gzip=key in ("a2", "a7"),
            chunked=key in ("a3", "a9"),
        )
    feed_head = (
        f'<link rel="alternate" type="application/rss+xml" title="RSS" href="{base_url}/feed.rss">'
        f'<link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml">'
    )
    home_items = [(arts[k].path, arts[k].title) for k in ("a1", "a2", "a5")]
    home_items += [
        (arts["p"].path, arts["p"].title),
        (offsite, "Offsite story on Venezuela and Russia"),
    ]
    routes["/"] = Resource(
        pages.listing_html("Fixture News", home_items, feed_head).encode(), chunked=True
    )
    world = [arts[k] for k in ("a12", "a1", "a2", "a3", "a4") if k in arts]
    routes["/section/world/"] = Resource(
        pages.listing_html(
            "World",
            [(a.path, a.title) for a in world[:-2]],
            '<link rel="next" href="/section/world/?page=2">',
        ).encode()
    )
    routes["/section/world/?page=2"] = Resource(
        pages.listing_html(
            "World, page 2",
            [(a.path, a.title) for a in world[-2:]] + [(old_path, arts["a11"].title)],
        ).encode()
    )
    routes["/section/economy/"] = Resource(
        pages.listing_html(
            "Economy", [(arts[k].path, arts[k].title) for k in ("a5", "a6")]
        ).encode()
    )
    routes[old_path] = Resource(
        status=301, headers=[("Location", base_url + arts["a11"].path)], conditional=False
    )
    routes[listing_path] = Resource(
        pages.listing_html(
            "Live updates", [(a.path, a.title * 2) for a in arts.values()] * 3
        ).encode()
    )
    routes["/about"] = Resource(pages.listing_html("About us", []).encode())
    routes["/feed.rss"] = Resource(
        pages.rss(
            base_url,
            [
                (url(arts[k]) + "?utm_source=rss&utm_medium=feed", arts[k].title, rfc(arts[k]))
                for k in ("a12", "a1", "a5", "a7")
                if k in arts
            ],
        ).encode(),
        content_type="application/rss+xml; charset=utf-8",
        gzip=True,
    )
    routes["/atom.xml"] = Resource(
        pages.atom(base_url, [(url(arts["a8"]), arts["a8"].title, arts["a8"].published)]).encode(),
        content_type="application/atom+xml",
        conditional=False,  # answers 200 every time: a later run archives an identical-payload revisit
    )
    routes["/robots.txt"] = Resource(
        f"User-agent: *\nDisallow: /private/\n\nSitemap: {base_url}/sitemap_index.xml\n".encode(),
        content_type="text/plain",
    )
    routes["/sitemap_index.xml"] = Resource(
        pages.sitemap_index([base_url + "/sitemaps/news.xml"]).encode(),
        content_type="application/xml",
    )
    news_items = [(url(arts[k]), arts[k].title, arts[k].published) for k in ("a1", "a9", "a10")]
    news_items.append(
        (base_url + listing_path, "Live updates", d[1].strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    )
    routes["/sitemaps/news.xml"] = Resource(
        pages.news_sitemap(news_items).encode(), content_type="application/xml"
    )

    corpus = [
        arts[k].path for k in ("a1", "a2", "a3", "a4", "a5", "a7", "a9", "a11", "a12") if k in arts
    ]
    return NewsSite(
        routes=routes,
        articles=arts,
        corpus_paths=corpus,
        never_fetched=[arts["p"].path, arts["a10"].path, "/about"],
        offsite_urls=[offsite],
    )
