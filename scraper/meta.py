"""Every ``request.meta`` key and response flag the project sets or reads, and what it means.

Scrapy's own keys and flags that we set or read are listed too, under Scrapy's names, so one
module says what a request or response can carry. Use these names, not string literals.
"""

from __future__ import annotations

# --- request.meta, set by the spiders ----------------------------------------
SOURCE = "source"  # name of the sources.toml source the request is made for
# What is fetched: "robots", "home", "sitemap", "feed", "section" or "article"
# (archived with the record; counted per kind in the summary).
KIND = "kind"
PAGE = "page"  # a section's page number, following its rel="next" pager
SITEMAP_DEPTH = "sitemap_depth"  # index levels below robots.txt's or a configured sitemap
RECRAWL = "recrawl"  # an article fetched again to see whether it changed (News-Recrawl field)

# --- request.meta, set by our downloader middlewares -------------------------
WARC = "warc"  # where the response (or the capture a 304 stands for) is archived: a location dict
WARC_DATE = "warc_date"  # the WARC-Date of that record
WARC_MAXSIZE = "warc_maxsize"  # the DOWNLOAD_MAXSIZE cut we make ourselves, archiving what came
WARC_RECEIVED = "warc_received"  # bytes of the body received so far, against WARC_MAXSIZE
CONDITIONAL_FOR = "conditional_for"  # the URL a conditional request (If-None-Match...) was made for
UNCONDITIONAL = "unconditional"  # ask without conditional headers (a 304 with no archived copy)

# --- request.meta, Scrapy's ---------------------------------------------------
DONT_RETRY = "dont_retry"  # RetryMiddleware (and ours) leave the request alone
DONT_REDIRECT = "dont_redirect"
REDIRECT_URLS = "redirect_urls"  # the URLs a redirected request went through, first first
DOWNLOAD_MAXSIZE = "download_maxsize"  # Scrapy's own cut; 0 while WARC_MAXSIZE cuts instead
DONT_OBEY_ROBOTSTXT = "dont_obey_robotstxt"  # robots.txt requests themselves
ALLOW_OFFSITE = "allow_offsite"  # OffsiteMiddleware lets it go anywhere (robots.txt redirects)
DOWNLOAD_TIMEOUT = (
    "download_timeout"  # this request's DOWNLOAD_TIMEOUT (a shared lease outlives it)
)
# AutoThrottle leaves the slot's delay alone (a robots.txt Crawl-delay holds it)
AUTOTHROTTLE_DONT_ADJUST_DELAY = "autothrottle_dont_adjust_delay"

# --- response.flags -----------------------------------------------------------
DATALOSS = "dataloss"  # Scrapy: the body arrived cut short (DOWNLOAD_FAIL_ON_DATALOSS = False)
DOWNLOAD_STOPPED = "download_stopped"  # Scrapy: StopDownload ended it (our DOWNLOAD_MAXSIZE cut)
ARCHIVED = "archived"  # a 304 answered with the capture from the archive
ARCHIVE = "archive"  # a crawl from the archive (REPLAY_ARCHIVE): read from a WARC file
MISSING = "missing"  # with ARCHIVE: the URL is not in the archive, answered 404

REQUEST_KEYS = frozenset(
    {
        SOURCE,
        KIND,
        PAGE,
        SITEMAP_DEPTH,
        RECRAWL,
        WARC,
        WARC_DATE,
        WARC_MAXSIZE,
        WARC_RECEIVED,
        CONDITIONAL_FOR,
        UNCONDITIONAL,
        DONT_RETRY,
        DONT_REDIRECT,
        REDIRECT_URLS,
        DOWNLOAD_MAXSIZE,
        DONT_OBEY_ROBOTSTXT,
        ALLOW_OFFSITE,
        DOWNLOAD_TIMEOUT,
        AUTOTHROTTLE_DONT_ADJUST_DELAY,
    }
)
RESPONSE_FLAGS = frozenset({DATALOSS, DOWNLOAD_STOPPED, ARCHIVED, ARCHIVE, MISSING})
