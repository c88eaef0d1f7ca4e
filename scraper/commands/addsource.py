"""``scrapy addsource URL``: probe a news site and append it to the sources file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError

from scraper import exitcodes
from scraper.commandline import CommandFailed, reports_failure
from scraper.onboarding.command import ProbeCommand
from scraper.onboarding.effective import (
    describe_configuration,
    inherited_fields,
    nothing_kept_warning,
)
from scraper.onboarding.findings import Findings, describe
from scraper.onboarding.probe import run_probe
from scraper.onboarding.sourcefile import (
    append_source,
    check_new_source,
    default_name,
    effective_source,
    render_source,
)
from scraper.sources import NAME, Source, SourcesError, check_url, load_sources


class Command(ProbeCommand):
    """Find a site's feeds, sitemaps or sections, sample articles, propose a pattern, add it."""

    def syntax(self) -> str:
        return (
            "URL [--name NAME] [--language LANG] [--keywords TERM,TERM ...] [--dry-run] [--force]"
        )

    def short_desc(self) -> str:
        return "Probe a news site and add it to the sources file"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--name", help="source name, [a-z0-9-]+ (default from the host name)")
        parser.add_argument(
            "--language", help="language code written to the source (default detected)"
        )
        parser.add_argument(
            "--keywords",
            action="append",
            default=[],
            metavar="TERM,TERM",
            help="a group of topic terms, comma-separated; repeat for more groups (an article needs a term of each)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be added, change nothing"
        )
        parser.add_argument(
            "--force", action="store_true", help="add the site even if no article was found"
        )

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) != 1:
            raise UsageError("give exactly one URL")
        try:
            source, path = self._new_source(args[0], opts)
        except SourcesError as error:
            raise _refused(str(error)) from None
        findings = run_probe(self.crawler_process, source, explore=True, samples=opts.samples)
        if findings.error:
            raise _refused(findings.error, exitcodes.FAILED)
        pattern = findings.proposed_pattern() if findings.articles else None
        print("\n".join(describe(findings, pattern)))
        print(
            "\n".join(
                describe_configuration(
                    source, inherited_fields(path, self._own_fields(source, opts))
                )
            )
        )
        warning = nothing_kept_warning(findings.samples)
        if warning:
            print(warning, file=sys.stderr)
        if not findings.articles and not opts.force:
            raise _refused(
                f"nothing article-like found at {source.url} (use --force to add it anyway)"
            )
        fields = self._fields(source, findings, pattern, self._own_fields(source, opts))
        if opts.dry_run:
            print(
                f"\nDry run: {path} is unchanged; this block would be appended:\n\n{render_source(fields)}",
                end="",
            )
            return
        try:
            block = append_source(path, fields)
        except SourcesError as error:
            raise _refused(f"the new source would not validate: {error}") from None
        print(f"\nAdded source {source.name!r} to {path}:\n\n{block}", end="")

    def _new_source(self, url: str, opts: argparse.Namespace) -> tuple[Source, Path]:
        assert self.settings is not None
        try:
            url = check_url(url.strip())
        except ValueError as error:
            raise SourcesError(f"malformed URL: {error}") from None
        path = Path(self.settings.get("SOURCES_FILE"))
        existing = load_sources(path) if path.exists() else []
        name = opts.name or default_name(url)
        if not NAME.match(name):
            raise SourcesError(f"source name {name!r} must match [a-z0-9-]+")
        check_new_source(existing, name, url)
        keywords = [
            [term.strip() for term in group.split(",") if term.strip()] for group in opts.keywords
        ]
        given: dict[str, Any] = {"name": name, "url": url}
        if opts.language:
            given["language"] = opts.language
        if any(keywords):
            given["keywords"] = [group for group in keywords if group]
        # Judged as the crawl will judge it: with what [defaults] adds to the block we write.
        return effective_source(path, given), path

    @staticmethod
    def _own_fields(source: Source, opts: argparse.Namespace) -> set[str]:
        """The fields the appended block sets itself (the rest come from ``[defaults]``)."""
        own = {"name", "url", "feeds", "sitemaps", "start_urls", "article_pattern"}
        return (
            own
            | ({"language"} if opts.language else set())
            | ({"keywords"} if opts.keywords else set())
        )

    @staticmethod
    def _fields(
        source: Source, findings: Findings, pattern: str | None, own: set[str]
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": source.name, "url": source.url}
        language = (source.language if "language" in own else None) or findings.language
        if language:
            fields["language"] = language
        if findings.feeds:
            fields["feeds"] = [feed.url for feed in findings.feeds]
        if findings.sitemaps:
            fields["sitemaps"] = [sitemap.url for sitemap in findings.sitemaps]
        if findings.sections:
            fields["start_urls"] = findings.sections
        if pattern:
            fields["article_pattern"] = pattern
        if source.keywords and "keywords" in own:
            fields["keywords"] = source.keywords
        return fields


def _refused(message: str, code: int = exitcodes.CONFIG) -> CommandFailed:
    return CommandFailed(f"{message}; nothing was added", code)
