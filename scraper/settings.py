"""Settings of the news archiver; each one can be overridden with ``-s NAME=VALUE``."""

from __future__ import annotations

import os

from scrapy.settings import default_settings

BOT_NAME = "newsarchiver"
SPIDER_MODULES = ["scraper.spiders"]
NEWSPIDER_MODULE = "scraper.spiders"
COMMANDS_MODULE = "scraper.commands"

# --- Where things go -------------------------------------------------------
SOURCES_FILE = "sources.toml"  # the configured sources
DATA_DIR = "data"  # root of everything a crawl writes
ARCHIVE_DIR = None  # WARC files; None means DATA_DIR/archive
CORPUS_DIR = None  # corpus files and index.jsonl; None means DATA_DIR/corpus

# --- Crawl state (incremental runs) ---------------------------------------
CRAWL_STATE_ENABLED = True  # remember fetches so later runs ask only for what is new
CRAWL_STATE_FILE = None  # SQLite file; None means DATA_DIR/state.sqlite
# Class path of the crawl state store; None: scraper.state.CrawlState (SQLite), or
# scraper.shared.state.RedisCrawlState when REDIS_URL is set.
CRAWL_STATE_STORE = None
ATTENTION_IDLE_RUNS = 5  # report a source that wrote no article in this many runs in a row
ATTENTION_MIN_RESPONSES = 5  # fewer responses than this say nothing about a source's health

# --- Report (`scrapy report`) ------------------------------------------------
REPORT_ENABLED = False  # write the report at the end of every crawl
REPORT_FILE = None  # the HTML file; None means DATA_DIR/report.html
REPORT_DAYS = 30  # the period: runs added up, and articles per day, over this many days
REPORT_LATEST = 50  # latest articles listed
REPORT_REPLAY_URL = "http://127.0.0.1:8080"  # where `scrapy serve` runs (its default port)

# --- WARC archive -----------------------------------------------------------
WARC_ENABLED = True
WARC_PREFIX = "news"  # first part of every WARC file name
WARC_MAX_SIZE = 1_000_000_000  # rotate to a new file past this many bytes
# Each record is one standard gzip member; "isal" (ISA-L, levels 0-3) costs about an eighth
# of "zlib" (levels 0-9) at level 6, for members about 16% larger than zlib's at 6.
WARC_GZIP_ENGINE = "isal"
WARC_GZIP_LEVEL = 2  # level of WARC_GZIP_ENGINE
# Threads that build, digest and compress the records off the reactor (0: on the reactor);
# the writes stay on the reactor, in order, a response and its request side by side.
WARC_THREADS = 2
# Worker processes that digest and compress the records of responses of 64 KiB or more, so
# the crawl process only writes them (0: WARC_THREADS do). For a crawl process that is the
# limit (many cores): it saves it about 0.8 ms a page for 1.5 ms more in the whole tree.
WARC_PROCESSES = 0
# An article response is packed by the extraction worker that extracts it: its body crosses to
# the worker once, and the crawl process neither digests nor compresses it. Its download slot
# is free at once; its item waits for the worker. Not for a response with a Content-Encoding
# (the worker would need the spider's decoded body as well).
WARC_PACK_WITH_EXTRACTION = True
WARC_OPERATOR = ""  # who runs the crawl, written into warcinfo

# --- Crawl from the archive -------------------------------------------------
# A directory of WARC files: `scrapy crawl news` then takes every response from it
# (latest capture of each URL, 404 for URLs it lacks) and opens no connection.
REPLAY_ARCHIVE = None
# pywb's `wayback` program for `scrapy serve`; "" means pywb installed in this Python,
# else `wayback` on PATH. pywb pins an old redis client: give it an environment of its own
# when the [redis] extra is installed here.
PYWB_WAYBACK = ""

# --- Shared crawl (pip install 'news-archiver[redis]') ----------------------
# A Redis URL such as redis://127.0.0.1:6379/0: every `scrapy crawl news` given the same
# one shares the request queue, the seen-set, the crawl state and the corpus numbers.
REDIS_URL = None
REDIS_KEY_PREFIX = "news"  # all keys of the crawl start with this; one prefix per crawl
REDIS_IDLE_TIMEOUT = 30  # seconds the shared queue stays empty before a worker leaves
REDIS_WORKER_TIMEOUT = 60  # seconds without a heartbeat before a worker counts as dead
REDIS_OUTAGE_TIMEOUT = 300  # seconds a worker waits for a lost Redis before the crawl stops
# Requests a worker takes and keeps aside for hosts without room (shared/held), at most.
REDIS_HELD_MAX = 1000

# --- Corpus -----------------------------------------------------------------
EXTRACTION_PROCESSES = os.cpu_count() or 1  # size of the extraction process pool
# Pages (calls) a worker takes in one task while every worker is busy: each task costs the crawl
# process about 0.2 ms to hand over and take back. 1: one page a task; at most 256.
EXTRACTION_BATCH = 8
# Pages per extraction process with the pool (waiting for a worker or being extracted) before
# the crawl holds its next article request: what is fetched faster than it is extracted waits
# in memory, body and all. 0: no hold.
EXTRACTION_BACKLOG = 24
# MiB an extraction worker may grow past what it held after its first pages before new workers
# replace it (they take the next pages; it finishes its own, then exits). 0: never replaced.
EXTRACTION_WORKER_GROWTH_MB = 128
CORPUS_MIN_WORDS = (
    40  # default for a source's min_words (below 100 words a page must mark itself as an article)
)
CORPUS_MAX_LINK_RATIO = 0.5  # a text whose words are mostly link texts is a listing

# --- Memory -------------------------------------------------------------------
# glibc maps blocks of this many bytes or more (page bodies, parse buffers) on their own,
# so freeing them gives the memory back, in the crawl's extraction (and WARC packing)
# processes. 0 keeps glibc's sliding threshold. No effect without glibc.
MALLOC_MMAP_THRESHOLD = 1024 * 1024
# The same in the crawl process itself: the bodies it copies on their way are reused from
# its heap instead of mapped, each copy's page faults and all. 0: glibc's sliding threshold.
CRAWL_MALLOC_MMAP_THRESHOLD = 1024 * 1024

# --- Discovery limits (per source and run; a source's sources.toml field overrides; 0: none)
SITEMAP_MAX_DEPTH = (
    3  # max_sitemap_depth: index levels followed below robots.txt's or configured sitemaps
)
SITEMAP_MAX_COUNT = 200  # max_sitemaps: sitemaps fetched
SITEMAP_MAX_URLS = (
    50_000  # max_sitemap_urls: entries read from one sitemap (the protocol's own maximum)
)
ARTICLES_MAX_PER_RUN = 2000  # max_articles: new article URLs requested
# Scrapy's 5 MB would hold every download while one big sitemap is read: room for one of DOWNLOAD_MAXSIZE.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 32 * 1024 * 1024

# --- Safety and politeness --------------------------------------------------
ALLOW_PRIVATE_ADDRESSES = False  # refuse private, loopback and link-local targets
# Connections go only to the addresses this resolver vetted (DNS rebinding cannot slip past).
TWISTED_DNS_RESOLVER = "scraper.resolver.GuardedResolver"
CONTACT_URL = "https://github.com/news-archiver/news-archiver"  # goes in the User-Agent
USER_AGENT = "news-archiver/0.1 (+{contact_url})"  # {contact_url} becomes CONTACT_URL
ROBOTSTXT_OBEY = True
# Seconds: a robots.txt Crawl-delay for our User-Agent is honoured up to this (its host gets one
# request at a time, that far apart, AutoThrottle or not); a longer one is cut to it with a
# warning. 0: Crawl-delay is ignored.
ROBOTSTXT_CRAWL_DELAY_MAX = 60.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 0.5
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy starts this many asyncio tasks for every response's callback output, whatever it
# yields (an article page: one item): 100, Scrapy's default, cost the crawl process 2.6 ms of
# CPU per article page. Items of different responses still go through the pipelines together.
CONCURRENT_ITEMS = 4
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # larger responses are cut here and archived truncated
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
COOKIES_ENABLED = False
REDIRECT_MAX_TIMES = 10
RETRY_TIMES = 2
RETRY_AFTER_MAX = 600  # seconds; a 429/503 asking to wait longer is not retried
URLLENGTH_LIMIT = (
    2083  # longer links are skipped before article patterns see them (Scrapy's default)
)
DOWNLOAD_FAIL_ON_DATALOSS = (
    False  # keep what arrived of a broken body: archived, retried, not extracted
)

DOWNLOADER_MIDDLEWARES = {
    # In Scrapy's place (50): says which redirect off the sources' sites it drops.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scraper.downloadermiddlewares.offsite.RedirectNamingOffsiteMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scraper.downloadermiddlewares.robots.PoliteRobotsTxtMiddleware": 100,
    "scraper.downloadermiddlewares.addressguard.AddressGuardMiddleware": 60,
    # In Scrapy's place (550): no retry once the crawl is stopping.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scraper.downloadermiddlewares.retry.StopAwareRetryMiddleware": 550,
    # Just above RetryMiddleware (550): a 429/503's Retry-After pauses its host first.
    "scraper.downloadermiddlewares.retryafter.RetryAfterMiddleware": 560,
    "scraper.downloadermiddlewares.dataloss.DataLossRetryMiddleware": 565,
    # Just above RedirectMiddleware (600): loops and over-long chains end with a warning.
    "scraper.downloadermiddlewares.redirectguard.RedirectGuardMiddleware": 610,
    # In Scrapy's place (590): inflates a whole gzip body with ISA-L, in a third of the time.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "scraper.downloadermiddlewares.compression.IsalHttpCompressionMiddleware": 590,
    # In Scrapy's place (580): reads the head of a long page only, not the whole page decoded.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scraper.downloadermiddlewares.metarefresh.HeadMetaRefreshMiddleware": 580,
    # Above HttpCompressionMiddleware (590) and RedirectMiddleware (600): every
    # response is archived still content-encoded, redirects and errors included.
    # Between the two: conditional requests, and 304s answered from the archive.
    "scraper.downloadermiddlewares.incremental.IncrementalMiddleware": 900,
    "scraper.downloadermiddlewares.warc.WarcMiddleware": 950,
    # Closest to the downloader: DOWNLOAD_MAXSIZE cuts a response, which is archived truncated.
    "scraper.downloadermiddlewares.maxsize.MaxSizeMiddleware": 960,
    # Last before the download: an article request waits here while extraction is behind.
    "scraper.downloadermiddlewares.backlog.ExtractionBacklogMiddleware": 970,
}
ITEM_PIPELINES = {
    "scraper.pipelines.ExtractionPipeline": 100,
    "scraper.pipelines.FilterPipeline": 200,
    "scraper.pipelines.CorpusPipeline": 300,
}
EXTENSIONS = {
    "scraper.extensions.malloc.MallocTuning": 0,
    "scraper.extensions.loglevel.SkipUnlogged": 0,
    "scraper.extensions.crawlstate.CrawlStateExtension": 100,
    "scraper.extensions.summary.SourceSummary": 500,
    "scraper.extensions.report.ReportExtension": 510,
    "scraper.extensions.stopping.StopReport": 520,
}
# Scrapy's own, less its remote control: Scrapy imports every extension these two name, even
# one set to None, and that one's module imports aiohttp (10 MiB of the crawl process) while
# REMOTE_CONTROL_ENABLED is off. Turning it on takes that setting and an EXTENSIONS entry.
EXTENSIONS_BASE = {
    path: order
    for path, order in default_settings.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}

# An unattended crawler opens no control ports.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Crawl order and logging -----------------------------------------------
DEPTH_PRIORITY = 0
LOG_LEVEL = "INFO"
# Scrapy's MemoryStatsCollector, less its deprecation check on every attribute read: 3 us of
# the reactor thread for each of the 23 counters an article page counts.
STATS_CLASS = "scraper.statscollector.PlainStatsCollector"
LOGSTATS_INTERVAL = 30.0
FEED_EXPORT_ENCODING = "utf-8"
# Scrapy reads a callback's source at every request whose bound method it no longer caches
# (0.75 ms each) to warn of a generator that returns a value; none of ours does
# (tests/test_spider_callbacks.py checks them all).
WARN_ON_GENERATOR_RETURN_VALUE = False
