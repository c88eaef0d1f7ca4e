"""``scrapy checksource NAME``: fetch a few articles of one source and show what the corpus would get."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from scrapy.exceptions import UsageError

from scraper import exitcodes
from scraper.commandline import CommandFailed, reports_failure
from scraper.onboarding.command import ProbeCommand
from scraper.onboarding.effective import (
    describe_configuration,
    inherited_fields,
    nothing_kept_warning,
)
from scraper.onboarding.findings import SampledPage, describe_discovery, sample_line
from scraper.onboarding.probe import run_probe

FIRST_LINES = 3


class Command(ProbeCommand):
    """Sample a configured source live; nothing is archived, stored or remembered."""

    def syntax(self) -> str:
        return "NAME [--samples N]"

    def short_desc(self) -> str:
        return "Fetch a few articles of one source and show what the corpus would get"

    @reports_failure
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) != 1:
            raise UsageError("give exactly one source name")
        [source] = self.configured_sources(args[0])
        findings = run_probe(self.crawler_process, source, explore=False, samples=opts.samples)
        if findings.error:
            raise CommandFailed(f"source {source.name!r}: {findings.error}", exitcodes.FAILED)
        print("\n".join(describe_discovery(findings)))
        path = Path(self.settings.get("SOURCES_FILE"))
        print("\n".join(describe_configuration(source, inherited_fields(path, name=source.name))))
        for page in findings.samples:
            print("\n".join(_details(page)))
        kept = sum(page.verdict is None and page.status == 200 for page in findings.samples)
        print(
            f"\n{source.name}: {kept} of {len(findings.samples)} sampled pages would enter the corpus"
        )
        warning = nothing_kept_warning(findings.samples)
        if warning:
            print(warning, file=sys.stderr)


def _details(page: SampledPage) -> list[str]:
    """A sampled page as the corpus would get it: verdict line, then its first lines."""
    lines = ["", sample_line(page)]
    article = page.article
    if article is None:
        return lines
    meta = ", ".join(
        filter(None, [article.published, ", ".join(article.authors), article.language])
    )
    lines.append(f"    {meta}" if meta else "    (no date, author or language)")
    for paragraph in article.paragraphs[:FIRST_LINES]:
        lines.append(textwrap.shorten(paragraph, 110, placeholder=" ...").join(("    | ", "")))
    return lines
