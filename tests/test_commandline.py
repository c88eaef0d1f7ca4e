"""A mistake on the command line or in the machine's state ends a command with one line."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from scraper import exitcodes
from scraper.commandline import CheckedCommand, CommandFailed, reports_failure
from scraper.lock import DataDirLock
from scraper.settingscheck import close_names, settings_error, unknown_argument
from sitefixture.scrapyrun import CrawlResult, run_scrapy, scrapy_command
from sitefixture.settings import settings
from tests.conftest import ServedSite, crawl


def test_a_value_of_the_wrong_type_or_range_is_named() -> None:
    assert settings_error(Settings({"ALLOW_PRIVATE_ADDRESSES": "yes"})) == (
        "setting ALLOW_PRIVATE_ADDRESSES: 'yes' is not True or False (also 1/0, true/false)"
    )
    assert (
        settings_error(Settings({"WARC_GZIP_LEVEL": "abc"}))
        == "setting WARC_GZIP_LEVEL: 'abc' is not a whole number"
    )
    assert (
        settings_error(Settings({"WARC_GZIP_LEVEL": "10"}))
        == "setting WARC_GZIP_LEVEL: 10 is out of range (from 0 to 9)"
    )
    assert (
        settings_error(Settings({"DOWNLOAD_DELAY": "fast"}))
        == "setting DOWNLOAD_DELAY: 'fast' is not a number"
    )
    assert (
        settings_error(Settings({"DOWNLOAD_MAXSIZE": "-5"}))
        == "setting DOWNLOAD_MAXSIZE: -5 is out of range (0 or more)"
    )
    assert (
        settings_error(Settings({"DOWNLOAD_WARNSIZE": "-1"}))
        == "setting DOWNLOAD_WARNSIZE: -1 is out of range (0 or more)"
    )
    for name in ("DOWNLOAD_DELAY", "ROBOTSTXT_CRAWL_DELAY_MAX"):
        assert settings_error(Settings({name: "nan"})) == f"setting {name}: 'nan' is not a number"
    assert settings_error(Settings({"ROBOTSTXT_CRAWL_DELAY_MAX": "inf"})) is None  # no cap
    assert settings_error(Settings({"DOWNLOAD_MAXSIZE": "0"})) is None
    assert (
        settings_error(Settings({"WARC_GZIP_LEVEL": "9", "ALLOW_PRIVATE_ADDRESSES": "true"}))
        is None
    )


def test_a_key_prefix_that_cannot_start_redis_keys_is_refused() -> None:
    for prefix in ("", " ", "my crawl"):
        assert settings_error(Settings({"REDIS_KEY_PREFIX": prefix})) == (
            f"setting REDIS_KEY_PREFIX: {prefix!r} cannot start the Redis keys of a shared "
            "crawl (one word without spaces, such as news)"
        )
    assert settings_error(Settings({"REDIS_KEY_PREFIX": "paper:crawl-2"})) is None


def test_a_gzip_level_the_engine_lacks_is_named() -> None:
    assert settings_error(Settings({"WARC_GZIP_ENGINE": "isal", "WARC_GZIP_LEVEL": "6"})) == (
        "setting WARC_GZIP_LEVEL: 6 is out of range for WARC_GZIP_ENGINE=isal (from 0 to 3)"
    )
    assert settings_error(Settings({"WARC_GZIP_ENGINE": "brotli", "WARC_GZIP_LEVEL": "2"})) == (
        "setting WARC_GZIP_ENGINE: 'brotli' is not one of isal, zlib"
    )
    assert settings_error(Settings({"WARC_GZIP_ENGINE": "zlib", "WARC_GZIP_LEVEL": "9"})) is None
    assert settings_error(Settings({"WARC_GZIP_ENGINE": "isal", "WARC_GZIP_LEVEL": "3"})) is None


def test_a_crawl_state_store_that_is_no_class_is_named() -> None:
    assert settings_error(Settings({"CRAWL_STATE_STORE": "nonsense"})) == (
        "setting CRAWL_STATE_STORE: 'nonsense' is not a class path (package.module.Class): "
        "Error loading object 'nonsense': not a full path"
    )
    assert settings_error(Settings({"CRAWL_STATE_STORE": "scraper.state.Nope"})) == (
        "setting CRAWL_STATE_STORE: 'scraper.state.Nope' is not a class path "
        "(package.module.Class): Module 'scraper.state' doesn't define any object named 'Nope'"
    )
    assert settings_error(Settings({"CRAWL_STATE_STORE": "nosuchmodule.Store"})) is not None
    assert (
        settings_error(Settings({"CRAWL_STATE_STORE": "os.path"}))
        == "setting CRAWL_STATE_STORE: 'os.path' is not a class"
    )
    assert settings_error(Settings({"CRAWL_STATE_STORE": "scraper.state.CrawlState"})) is None
    redis_store = "scraper.shared.state.RedisCrawlState"
    assert settings_error(Settings({"CRAWL_STATE_STORE": redis_store})) == (
        f"setting CRAWL_STATE_STORE: {redis_store!r} needs REDIS_URL, which is not set"
    )
    assert (
        settings_error(
            Settings({"CRAWL_STATE_STORE": redis_store, "REDIS_URL": "redis://127.0.0.1:1"})
        )
        is None
    )


def test_a_bad_crawl_state_store_ends_the_command_in_one_line(tmp_path: Path) -> None:
    run = run_scrapy(
        ["sources"],
        tmp_path,
        {"DATA_DIR": str(tmp_path / "data"), "CRAWL_STATE_STORE": "nonsense"},
    )
    assert run.returncode == exitcodes.CONFIG, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: setting CRAWL_STATE_STORE:")


def test_a_name_close_to_a_known_setting_is_found() -> None:
    names = ["ALLOW_PRIVATE_ADDRESS", "DOWNLOAD_DELAY", "download_delay", "MY_OWN_EXTENSION_KNOB"]
    assert close_names(names) == {
        "ALLOW_PRIVATE_ADDRESS": "ALLOW_PRIVATE_ADDRESSES",
        "download_delay": "DOWNLOAD_DELAY",
    }


def test_an_unknown_spider_argument_is_named() -> None:
    assert unknown_argument(["source"], ["source"]) is None
    assert unknown_argument(["sources"], ["source"]) == (
        "unknown spider argument -a sources=...; did you mean -a source=...? (this command takes -a source=...)"
    )


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_a_bad_setting_value_stops_the_crawl_before_it_starts(
    news_site: ServedSite, tmp_path: Path
) -> None:
    result = crawl(
        tmp_path, news_site.site.source_toml(news_site.server.base_url), {"WARC_GZIP_LEVEL": "abc"}
    )
    assert result.returncode == exitcodes.CONFIG
    assert (
        _one_error_line(result.log) == "error: setting WARC_GZIP_LEVEL: 'abc' is not a whole number"
    )
    assert not news_site.server.paths()


def test_an_unknown_spider_argument_stops_the_crawl(news_site: ServedSite, tmp_path: Path) -> None:
    result = crawl(
        tmp_path, news_site.site.source_toml(news_site.server.base_url), args=["-a", "sources=x"]
    )
    assert result.returncode == exitcodes.CONFIG
    assert "did you mean -a source=...?" in _one_error_line(result.log)
    assert not news_site.server.paths()


def test_a_setting_name_with_a_typo_is_warned_about(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n')
    done = run_scrapy(
        ["sources"], tmp_path, {"ALLOW_PRIVATE_ADDRESS": "True", "DATA_DIR": str(tmp_path / "data")}
    )
    assert done.returncode == exitcodes.OK, done.stderr
    assert (
        "warning: unknown setting ALLOW_PRIVATE_ADDRESS; did you mean ALLOW_PRIVATE_ADDRESSES?"
        in done.stderr
    )


def test_a_data_dir_that_cannot_be_written_is_one_line(
    news_site: ServedSite, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = crawl(
        tmp_path,
        news_site.site.source_toml(news_site.server.base_url),
        {"DATA_DIR": str(blocker / "data")},
    )
    assert result.returncode == exitcodes.IO_ERROR
    assert _one_error_line(result.log).startswith(
        f"error: DATA_DIR: cannot write {blocker / 'data'}: "
    )


def test_sources_only_reads_the_crawl_state(news_site: ServedSite, tmp_path: Path) -> None:
    result = crawl(tmp_path, news_site.site.source_toml(news_site.server.base_url))
    # Root can write into a read-only folder; a folder where SQLite would make its -wal
    # file stands for one: reading must not need to create it.
    (result.data_dir / "state.sqlite-wal").mkdir()
    before = sorted(p.name for p in result.data_dir.iterdir())
    done = run_scrapy(
        ["sources"],
        tmp_path,
        {"SOURCES_FILE": str(tmp_path / "sources.toml"), "DATA_DIR": str(result.data_dir)},
    )
    assert done.returncode == exitcodes.OK, done.stderr
    assert "last run " in done.stdout and "written 8," in done.stdout
    assert sorted(p.name for p in result.data_dir.iterdir()) == before


def _archive(tmp_path: Path, news_site: ServedSite) -> CrawlResult:
    return crawl(tmp_path, news_site.site.source_toml(news_site.server.base_url))


def test_serve_on_a_port_in_use_is_one_line(news_site: ServedSite, tmp_path: Path) -> None:
    result = _archive(tmp_path, news_site)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_scrapy(
            ["serve", "--port", str(port), "--archive", str(result.archive)],
            tmp_path,
            {"PYWB_WAYBACK": sys.executable},
        )
    assert done.returncode == exitcodes.CONFIG
    assert (
        _one_error_line(done.stderr)
        == f"error: cannot listen on 127.0.0.1:{port}: Address already in use (pass another --port)"
    )


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--port", "99999"], "argument --port: '99999' is not a port (0 to 65535)"),
        (["--port", "-1"], "argument --port: '-1' is not a port (0 to 65535)"),
        (["--bind", "0.0.0.0x"], "cannot listen on 0.0.0.0x:"),
    ],
)
def test_serve_names_a_port_or_address_it_cannot_use(
    options: list[str], said: str, tmp_path: Path
) -> None:
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "news-1.warc.gz").write_bytes(b"WARC/1.1\r\n")
    done = run_scrapy(
        ["serve", *options, "--archive", str(tmp_path / "archive")],
        tmp_path,
        {"PYWB_WAYBACK": sys.executable},
    )
    assert done.returncode == exitcodes.CONFIG, done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr, done.stderr
    if "--bind" in options:
        assert done.stderr.rstrip().endswith("(pass another --bind)"), done.stderr


@pytest.mark.parametrize("found", ["PYWB_WAYBACK", ".venv-pywb"])
def test_serve_stops_on_ctrl_c_without_a_traceback(
    news_site: ServedSite, tmp_path: Path, found: str
) -> None:
    """pywb is the program PYWB_WAYBACK names, else the project's own .venv-pywb (as make builds it)."""
    result = _archive(tmp_path, news_site)
    server = (
        tmp_path / "fake-wayback"
        if found == "PYWB_WAYBACK"
        else tmp_path / ".venv-pywb" / "bin" / "wayback"
    )
    server.parent.mkdir(parents=True, exist_ok=True)
    marker = tmp_path / "started"
    server.write_text(
        f"#!{sys.executable}\nimport pathlib, sys, time\n"
        f"pathlib.Path({str(marker)!r}).write_text(' '.join(sys.argv[1:]))\ntime.sleep(60)\n"
    )
    server.chmod(0o755)
    settings = {"PYWB_WAYBACK": str(server)} if found == "PYWB_WAYBACK" else {}
    command, env = scrapy_command(
        ["serve", "--port", "0", "--archive", str(result.archive)], settings
    )
    env.pop("PYWB_WAYBACK", None)
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    while not marker.exists() and process.poll() is None:
        subprocess.run(["sleep", "0.2"], check=False)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == exitcodes.OK, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip().endswith("Stopped serving.")
    # --port 0: a free port is chosen, and the address printed is the one pywb listens on
    port = re.fullmatch(r"--port (\d+) --bind 127\.0\.0\.1", marker.read_text())
    assert port and int(port[1]) > 0, marker.read_text()
    assert f"at http://127.0.0.1:{port[1]}/news/ " in out, out


@pytest.mark.parametrize("command", [["extract", "page.html"], ["report"]])
def test_extract_and_report_check_their_settings_too(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<html><body><p>Text.</p></body></html>")
    done = run_scrapy([*command, "-s", "WARC_GZIP_LEVEL=abc"], tmp_path)
    assert done.returncode == exitcodes.CONFIG, done.stderr
    assert (
        _one_error_line(done.stderr)
        == "error: setting WARC_GZIP_LEVEL: 'abc' is not a whole number"
    )


@pytest.mark.parametrize("command", ["sources", "report"])
def test_a_state_file_that_is_no_database_is_named_by_sources_and_report(
    command: str, tmp_path: Path
) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n')
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "state.sqlite").write_bytes(b"not a database at all, " * 300)
    done = run_scrapy([command], tmp_path, {"DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == exitcodes.CONFIG, done.stderr
    assert _one_error_line(done.stderr) == (
        f"error: {tmp_path / 'data' / 'state.sqlite'}: cannot read the crawl state: file is not a database"
    )


class _Command(CheckedCommand):
    """The command base alone, its run failing where a command would."""

    exitcode = 0

    def __init__(self, tmp_path: Path) -> None:
        self.settings = settings(
            {"DATA_DIR": str(tmp_path / "data"), "SOURCES_FILE": str(tmp_path / "none.toml")}
        )

    @reports_failure
    def run(self, step: str) -> None:
        if step == "sources":
            self.configured_sources()
        with self.data_dir_locked():
            raise CommandFailed("inside the lock", exitcodes.FAILED)


def test_the_command_base_ends_a_failure_with_one_line_and_its_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = _Command(tmp_path)
    command.run("sources")
    assert command.exitcode == exitcodes.CONFIG
    assert capsys.readouterr().err == f"error: {tmp_path / 'none.toml'}: no such sources file\n"
    command.run("lock")
    assert command.exitcode == exitcodes.FAILED
    assert capsys.readouterr().err == "error: inside the lock\n"
    holder = DataDirLock(tmp_path / "data").acquire()  # the lock was released on the way out
    command.run("lock")
    assert command.exitcode == exitcodes.BUSY
    data = tmp_path / "data"
    assert capsys.readouterr().err == (
        f"error: another crawl (pid {os.getpid()}) is using {data}; they hold {data / 'crawl.lock'}."
        " Wait for them to finish.\n"
    )
    holder.release()
