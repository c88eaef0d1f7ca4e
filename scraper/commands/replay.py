"""``scrapy replay``: rebuild the corpus from the WARC archive, offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import BaseRunSpiderCommand
from scrapy.crawler import Crawler

from scraper import exitcodes
from scraper.commandline import CheckedCommand, CommandFailed, reports_failure
from scraper.paths import archive_dir, corpus_dir, data_dir
from scraper.replay.preflight import archive_refusal, refusal
from scraper.replay.rejudge import RejudgeSpider
from scraper.replay.spider import ReplaySpider

DEFAULT_CORPUS = "corpus-replay"  # under DATA_DIR


class Command(CheckedCommand, BaseRunSpiderCommand):
    """Run every archived article through extraction, filters and the corpus store again."""

    requires_project = True

    def syntax(self) -> str:
        return "[--archive DIR] [--corpus DIR | --in-place] [-a source=NAME[,NAME]]"

    def short_desc(self) -> str:
        return "Rebuild the corpus from the WARC archive, with no network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--archive", help="WARC files to read (default ARCHIVE_DIR)")
        parser.add_argument(
            "--corpus",
            help=f"new corpus to write; must not hold one yet (default DATA_DIR/{DEFAULT_CORPUS})",
        )
        parser.add_argument(
            "--in-place",
            action="store_true",
            help="judge the archived articles the crawl filtered again under the current sources file "
            "and add those that pass now to CORPUS_DIR, updating the crawl state",
        )

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        self.configured_sources(opts.spargs.get("source"))
        archive = Path(opts.archive) if opts.archive else archive_dir(self.settings)
        if opts.in_place:
            self._in_place(archive, opts)
            return
        corpus = Path(opts.corpus) if opts.corpus else data_dir(self.settings) / DEFAULT_CORPUS
        refused = refusal(archive, corpus, "replay", "pass another --corpus")
        if refused:
            raise CommandFailed(refused)
        self.settings.set("CORPUS_DIR", str(corpus), priority="cmdline")
        crawler = self.crawler_process.create_crawler(ReplaySpider)
        self.crawler_process.crawl(crawler, archive=archive, **opts.spargs)
        self.crawler_process.start()
        self.exitcode = _exit_code(self.crawler_process.bootstrap_failed, crawler)
        if self.exitcode in (exitcodes.OK, exitcodes.PARTIAL):
            print(f"Replayed {archive} into {corpus}")

    def _in_place(self, archive: Path, opts: argparse.Namespace) -> None:
        """Judge again what the crawl filtered, into the live corpus, holding ``DATA_DIR``'s lock."""
        assert self.settings is not None and self.crawler_process is not None
        problem = (
            "--in-place adds to CORPUS_DIR: drop --corpus"
            if opts.corpus
            else archive_refusal(archive)
        )
        if problem:
            raise CommandFailed(problem)
        with self.data_dir_locked():
            crawler = self.crawler_process.create_crawler(RejudgeSpider)
            self.crawler_process.crawl(crawler, archive=archive, **opts.spargs)
            self.crawler_process.start()
        self.exitcode = _exit_code(self.crawler_process.bootstrap_failed, crawler)
        if self.exitcode not in (exitcodes.OK, exitcodes.PARTIAL):
            return
        stats = crawler.stats.get_stats()
        added = sum(v for k, v in stats.items() if k.startswith("news/") and k.endswith("/written"))
        judged = stats.get("replay/pages", 0)
        print(
            f"Judged {judged} archived article(s) again: {added} added to {corpus_dir(self.settings)}"
        )


def _exit_code(bootstrap_failed: bool, crawler: Crawler) -> int:
    """The code of a replay: the summary's, as for a crawl; 3 when it could not start."""
    if bootstrap_failed or crawler.stats is None:
        return exitcodes.FAILED
    return exitcodes.summary_code(crawler.stats)
