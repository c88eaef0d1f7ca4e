"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing loaded."""

from __future__ import annotations

from collections import Counter
from html import escape
from urllib.parse import urlsplit

from scraper.report.charts import OTHERS, PALETTE, color, horizontal_bars, stacked_bars
from scraper.report.data import LatestArticle, Report, SourceReport

# Nothing may load or run: a hostile headline that slipped through escaping would still be inert.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
.totals{display:flex;gap:1em;flex-wrap:wrap}
.total{background:#f4f6f8;padding:.6em 1em;border-radius:6px}
.total b{display:block;font-size:1.5em}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e4e4e4;padding:.35em .5em;
text-align:left;vertical-align:top}th{background:#f4f6f8}td.n{text-align:right;white-space:nowrap}
.attention{color:#b00020;font-weight:600}.ok{color:#1b7f3b}.quiet{color:#777}
details summary{cursor:pointer}ul{margin:.2em 0;padding-left:1.2em}.url{word-break:break-all}
.chart text{font-size:11px;fill:#444}.chart .grid{stroke:#e4e4e4}
.legend span{display:inline-block;margin-right:1em}
.legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL, the only kind the page links to."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _link(url: str, text: str, css: str = "") -> str:
    if not web_url(url):
        return f'<span class="{css}">{_e(text)}</span>' if css else _e(text)
    attribute = f' class="{css}"' if css else ""
    return f'<a href="{_e(url)}"{attribute} rel="noopener noreferrer">{_e(text)}</a>'


def archived_url(replay_url: str, collection: str, article: LatestArticle) -> str:
    """Where ``scrapy serve`` shows the article's capture: ``BASE/COLLECTION/TIMESTAMP/URL``."""
    return f"{replay_url.rstrip('/')}/{collection}/{article.timestamp}/{article.url}"


def render(
    report: Report, replay_url: str, collection: str = "news", title: str = "News archive report"
) -> str:
    """The whole page."""
    attention = [source for source in report.sources.values() if source.attention]
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{_e(title)}</h1>",
            _heading(report),
            _totals(report, len(attention)),
            _attention(attention),
            _per_day(report),
            _sources(report),
            _latest(report, replay_url, collection),
            "</body></html>\n",
        ]
    )


def _heading(report: Report) -> str:
    return (
        f"<p>Generated {_e(report.generated.strftime('%Y-%m-%d %H:%M UTC'))}; runs and articles "
        f"per day from {_e(report.days[0])} to {_e(report.days[-1])}.</p>"
    )


def _totals(report: Report, attention: int) -> str:
    cards = [
        ("articles", f"{report.articles:,}"),
        ("words", f"{report.words:,}"),
        ("languages", f"{len(report.languages):,}"),
        ("sources", f"{len(report.sources):,}"),
        ("need attention", f"{attention:,}"),
    ]
    body = "".join(f'<div class="total"><b>{value}</b>{name}</div>' for name, value in cards)
    return f'<h2>Corpus</h2><div class="totals" id="totals">{body}</div>'


def _attention(sources: list[SourceReport]) -> str:
    if not sources:
        return '<p class="ok">No source needs attention.</p>'
    items = "".join(
        f"<li><b>{_e(source.name)}</b>: {_e('; '.join(source.attention))}</li>"
        for source in sources
    )
    return f'<h2>Needs attention</h2><ul class="attention" id="attention">{items}</ul>'


def _per_day(report: Report) -> str:
    ranked = sorted(report.per_day, key=lambda name: (-sum(report.per_day[name].values()), name))
    shown = ranked[: len(PALETTE) - 1] if len(ranked) > len(PALETTE) else ranked
    series = {name: report.per_day[name] for name in shown}
    others: Counter[str] = Counter()
    for name in ranked[len(shown) :]:
        others.update(report.per_day[name])
    legend = [
        f'<span><i style="background:{color(n)}"></i>{_e(name)}</span>'
        for n, name in enumerate(shown)
    ]
    colors = [color(n) for n in range(len(shown))]
    if others:
        series["other sources"] = others
        colors.append(OTHERS)
        legend.append(
            f'<span><i style="background:{OTHERS}"></i>'
            f"{len(ranked) - len(shown)} other sources</span>"
        )
    return (
        "<h2>Articles written per day</h2>"
        f'<div id="per-day">{stacked_bars(report.days, series, colors)}</div>'
        f'<p class="legend">{"".join(legend)}</p>'
        f'<h2>Languages</h2><div id="languages">{horizontal_bars(report.languages)}</div>'
    )


def _verdict(source: SourceReport) -> str:
    if source.attention:
        reasons = "".join(f"<li>{_e(reason)}</li>" for reason in source.attention)
        return f'<span class="attention">needs attention</span><ul>{reasons}</ul>'
    if source.last_run is None:
        return (
            '<span class="quiet">never crawled</span>'
            if source.configured
            else '<span class="quiet">no run</span>'
        )
    return '<span class="ok">ok</span>'


def _filtered(source: SourceReport) -> str:
    cells = []
    for reason, count in sorted(source.filtered.items()):
        examples = source.examples.get(reason, [])
        if not examples:
            cells.append(f"<div>{_e(reason)}: {count:,}</div>")
            continue
        urls = "".join(f"<li>{_link(url, url, 'url')}</li>" for url in examples)
        cells.append(
            f"<details><summary>{_e(reason)}: {count:,}</summary><ul>{urls}</ul></details>"
        )
    return "".join(cells) or "-"


def _source_row(source: SourceReport) -> str:
    name = _link(source.url, source.name) if source.url else _e(source.name)
    if not source.configured:
        name += ' <span class="quiet">(not in the sources file)</span>'
    elif not source.enabled:
        name += ' <span class="quiet">(disabled)</span>'
    statuses = " · ".join(f"{_e(code)}: {count:,}" for code, count in sorted(source.status.items()))
    fetched = f"{source.fetched:,}" + (f'<div class="quiet">{statuses}</div>' if statuses else "")
    last = _e(source.last_run[:16].replace("T", " ")) if source.last_run else "-"
    cells = [_td(name), _td(_verdict(source)), _td(last), _td_n(source.runs)]
    cells += [_td_n(source.discovered), _td_n(fetched), _td_n(source.written)]
    cells += [_td_n(source.updated), _td(_filtered(source)), _td_n(source.errors)]
    cells += [_td_n(source.articles), _td_n(source.words)]
    return f'<tr id="source-{_e(source.name)}">{"".join(cells)}</tr>'


def _td(content: str) -> str:
    return f"<td>{content}</td>"


def _td_n(value: int | str) -> str:
    """A right-aligned cell: a count, or markup that starts with one."""
    return (
        f'<td class="n">{value:,}</td>' if isinstance(value, int) else f'<td class="n">{value}</td>'
    )


def _sources(report: Report) -> str:
    head = (
        "<tr><th>Source</th><th>Verdict</th><th>Last run (UTC)</th><th>Runs</th><th>Discovered</th>"
        "<th>Fetched (by status)</th><th>Written</th><th>Updated</th><th>Filtered (examples)</th>"
        "<th>Errors</th><th>Corpus articles</th><th>Words</th></tr>"
    )
    rows = "".join(_source_row(source) for source in report.sources.values())
    return (
        f"<h2>Sources</h2><p>Figures added up over the runs since {_e(report.since)}; "
        f'corpus articles and words of all time.</p><table id="sources">{head}{rows}</table>'
    )


def _latest(report: Report, replay_url: str, collection: str) -> str:
    head = (
        "<tr><th>Headline</th><th>Date</th><th>Source</th><th>Language</th><th>Words</th>"
        "<th>Live</th><th>Archived</th></tr>"
    )
    rows = []
    for article in report.latest:
        date = (article.published or article.fetched_at)[:10]
        live, archived = "-", "-"
        if web_url(article.url):
            live = _link(article.url, "live", "live")
            archived = _link(archived_url(replay_url, collection, article), "archived", "archived")
        headline = _e(article.title or "(no headline)")
        cells = [_td(headline), _td(_e(date)), _td(_e(article.source)), _td(_e(article.language))]
        rows.append(f"<tr>{''.join(cells)}{_td_n(article.words)}{_td(live)}{_td(archived)}</tr>")
    return (
        f"<h2>Latest articles</h2><p>The {len(report.latest)} articles written last; "
        f"archived copies are replayed by <code>scrapy serve</code> at {_e(replay_url)}.</p>"
        f'<table id="latest">{head}{"".join(rows)}</table>'
    )
