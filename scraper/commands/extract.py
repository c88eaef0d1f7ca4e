"""``scrapy extract PATH_OR_URL...``: what saved pages or live URLs become in the corpus."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import stat
import sys
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.http import HtmlResponse, Response, TextResponse

from corpus.article import Article
from corpus.options import ExtractionOptions
from corpus.worker import extract_for_corpus
from scraper import exitcodes
from scraper.commandline import CheckedCommand, CommandFailed, reports_failure
from scraper.items import declared_encoding, unfit_for_extraction
from scraper.judge import Judge
from scraper.onboarding.probe import LookingSpider
from scraper.sources import Source, SourcesError, load_sources, source_for_url


class FetchSpider(LookingSpider):
    """Fetch each URL in turn, politely (robots.txt, the address guard, delays), keeping nothing."""

    name = "extract"

    def __init__(self, *args: Any, urls: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls = urls
        self.responses: dict[str, Response | str] = {}

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            self.responses[url] = await self.fetch(url)
        return
        yield  # schedules nothing: every fetch is awaited here


@dataclass
class Outcome:
    """What one input became: its verdict and article, or why it could not be read."""

    name: str
    url: str = ""
    verdict: str = ""
    source: str | None = None
    article: Article | None = None
    error: str | None = None


def _is_url(text: str) -> bool:
    return urlsplit(text).scheme in ("http", "https")


#: How much of a saved page is looked at to tell binary data from HTML.
SNIFF_BYTES = 8192


class UnfitPage(Exception):
    """A saved page that is not read: no regular file, too big, or not HTML."""


def _read(path: Path, limit: int) -> bytes:
    """The bytes of saved page ``path`` (inflated if ``.gz``), at most ``limit`` of them (0: any).

    Raises :class:`UnfitPage` for a device, FIFO or folder, a page past ``limit`` and
    binary data.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnfitPage("not a regular file (a device, FIFO or folder)")
    inflate = path.suffix == ".gz"
    with open(fd, "rb") as raw:
        stream = gzip.GzipFile(fileobj=raw) if inflate else raw
        data = stream.read(limit + 1 if limit else -1)
    if limit and len(data) > limit:
        once = " once inflated" if inflate else ""
        raise UnfitPage(f"larger than DOWNLOAD_MAXSIZE ({limit} bytes){once}")
    head = data[:SNIFF_BYTES]
    if b"\0" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 has NULs
        raise UnfitPage("binary data (NUL bytes), not HTML")
    return data


class Command(CheckedCommand, ScrapyCommand):
    """Run saved pages or live URLs through the crawl's extraction and filters; writes nothing."""

    requires_project = True

    def syntax(self) -> str:
        return "PATH_OR_URL... [--url URL] [--jsonl]"

    def short_desc(self) -> str:
        return "Show what saved pages or live URLs become in the corpus, and the filter's verdict"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--url", help="the URL a saved page was fetched from (one file only)")
        parser.add_argument(
            "--jsonl", action="store_true", help="one JSON object per page, with the metadata"
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if not opts.loglevel:
            self.settings.set("LOG_LEVEL", "WARNING", priority="spider")
        super().process_options(args, opts)

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if not args:
            raise UsageError("give at least one saved page or URL")
        files = [arg for arg in args if not _is_url(arg)]
        if opts.url and (len(files) != 1 or not _is_url(opts.url)):
            raise UsageError("--url takes an http(s) URL and goes with exactly one saved page")
        sources = self._sources()
        live = self._fetch([arg for arg in args if _is_url(arg)])
        judge = Judge.from_settings(self.settings)
        outcomes = []
        for arg in args:
            response = (
                live[arg]
                if _is_url(arg)
                else self._saved(arg, opts.url, self.settings.getint("DOWNLOAD_MAXSIZE"))
            )
            outcome = _judged(arg, response, sources, judge)
            outcomes.append(outcome)
            if outcome.error:
                print(f"error: {arg}: {outcome.error}", file=sys.stderr)
            else:
                print(_as_json(outcome) if opts.jsonl else _as_text(outcome), flush=True)
        # A live URL that did not answer 200 was not read either: its verdict is http:<status>.
        failed = sum(
            outcome.error is not None or outcome.verdict.startswith("http:") for outcome in outcomes
        )
        self.exitcode = (
            exitcodes.OK
            if not failed
            else exitcodes.FAILED
            if failed == len(outcomes)
            else exitcodes.PARTIAL
        )

    def _sources(self) -> list[Source]:
        """The configured sources, for their selectors, minimum and topic; none without a sources file."""
        assert self.settings is not None
        path = Path(self.settings.get("SOURCES_FILE"))
        try:
            return load_sources(path) if path.exists() else []
        except SourcesError as error:
            raise CommandFailed(str(error)) from None

    def _fetch(self, urls: list[str]) -> dict[str, Response | str]:
        if not urls:
            return {}
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(FetchSpider)
        self.crawler_process.crawl(crawler, urls=urls)
        self.crawler_process.start()
        spider = crawler.spider
        fetched = spider.responses if isinstance(spider, FetchSpider) else {}
        return {url: fetched.get(url, "not fetched (see the log above)") for url in urls}

    @staticmethod
    def _saved(name: str, url: str | None, limit: int) -> Response | str:
        """A saved page as the crawl would have received it from ``url`` (a file: URL without one)."""
        path = Path(name)
        try:
            body = _read(path, limit)
        except FileNotFoundError:
            scheme = urlsplit(name).scheme
            if len(scheme) > 1 and "://" in name:  # not a drive letter
                return f"only http and https URLs are fetched, not {scheme}:, and no file has this name"
            return "no such file"
        except UnfitPage as error:
            return str(error)
        except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            return f"cannot read: {error}"
        return HtmlResponse(
            url or path.resolve().as_uri(), body=body, headers={"Content-Type": "text/html"}
        )


def _judged(name: str, response: Response | str, sources: list[Source], judge: Judge) -> Outcome:
    """Extract and judge a response exactly as the crawl's pipelines do."""
    if isinstance(response, str):
        return Outcome(name, error=response)
    source = source_for_url(sources, response.url)
    outcome = Outcome(name, url=response.url, source=source.name if source else None)
    if response.status != 200:
        outcome.verdict = f"http:{response.status}"
        return outcome
    if problem := unfit_for_extraction(response):
        outcome.verdict = f"filtered:{problem}"
        return outcome
    assert isinstance(response, TextResponse)  # unfit_for_extraction refuses any other
    options = source.extraction_options() if source else ExtractionOptions()
    outcome.article = extract_for_corpus(
        response.body, response.url, declared_encoding(response), options
    )
    outcome.verdict = judge.verdict(outcome.article, source)
    return outcome


def _as_text(outcome: Outcome) -> str:
    """A header line with the verdict, then the corpus text (headline line, paragraphs)."""
    header = f"==> {outcome.name} <== {outcome.verdict}"
    if outcome.url and outcome.url != outcome.name:
        header += f"  <{outcome.url}>"
    return header + "\n" + (outcome.article.text() if outcome.article else "")


def _as_json(outcome: Outcome) -> str:
    article = outcome.article
    record: dict[str, Any] = {
        "input": outcome.name,
        "url": outcome.url,
        "verdict": outcome.verdict,
        "source": outcome.source,
    }
    if article is not None:
        record.update(
            title=article.title,
            authors=article.authors,
            published=article.published,
            language=article.language,
            canonical_url=article.canonical_url,
            sitename=article.sitename,
            page_type=article.page_type,
            words=article.words,
            text=article.text(),
        )
    return json.dumps(record, ensure_ascii=False)
