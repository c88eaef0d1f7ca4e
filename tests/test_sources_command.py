"""``scrapy sources``: the file checked, each source listed with its last run's figures."""

from __future__ import annotations

from pathlib import Path

from sitefixture.scrapyrun import CrawlResult, run_scrapy
from tests.conftest import ServedSite


def sources(workdir: Path, data_dir: Path) -> tuple[int, str, str]:
    done = run_scrapy(
        ["sources"],
        workdir,
        {"SOURCES_FILE": str(workdir / "sources.toml"), "DATA_DIR": str(data_dir)},
    )
    return done.returncode, done.stdout, done.stderr


def test_lists_sources_with_their_last_crawl(crawled: tuple[ServedSite, CrawlResult]) -> None:
    served, result = crawled
    code, out, _ = sources(result.data_dir.parent, result.data_dir)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("sources.toml: 1 sources, valid")
    assert lines[1].split() == ["fixture", served.url("/")]
    assert "last run " in lines[2] and "written 8," in lines[2] and "listing:1" in lines[2]


def test_never_crawled_and_a_bad_file(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nname = "a"\nurl = "https://a.example/"\nenabled = false\n'
    )
    code, out, _ = sources(tmp_path, tmp_path / "data")
    assert code == 0 and "(disabled)" in out and "never crawled" in out
    assert not (tmp_path / "data").exists()
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nname = "a"\nurl = "https://a.example/"\nmin_words = "x"\n'
    )
    code, out, err = sources(tmp_path, tmp_path / "data")
    assert code == 2 and out == ""
    assert "sources.toml:4: source 'a' field 'min_words': must be int, not str" in err
