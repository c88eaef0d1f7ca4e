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


def test_a_data_dir_of_a_shared_crawl_read_without_redis_says_where_its_runs_are(
    tmp_path: Path,
) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nurl = "https://a.example/"\n')
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "crawl.lock").write_text("shared news at redis://127.0.0.1:6379/0\n")
    for command in (["sources"], ["report", "--output", str(tmp_path / "report.html")]):
        done = run_scrapy(
            command,
            tmp_path,
            {"SOURCES_FILE": str(tmp_path / "sources.toml"), "DATA_DIR": str(data_dir)},
        )
        assert done.returncode == 0, done.stderr
        assert (
            f"warning: {data_dir} was last crawled by the shared crawl news at "
            "redis://127.0.0.1:6379/0, whose runs are in Redis: set REDIS_URL" in done.stderr
        ), command
    (data_dir / "crawl.lock").write_text("4242\n")  # a crawl of its own since
    code, _, err = sources(tmp_path, data_dir)
    assert code == 0 and "warning" not in err
