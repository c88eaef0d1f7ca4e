"""Check the settings before a command runs: a value of the wrong type, and names close to ours."""

from __future__ import annotations

import difflib
import importlib.util
import math
from collections.abc import Iterable, Mapping
from typing import Any

from scrapy.settings import BaseSettings, default_settings
from scrapy.utils.misc import load_object

from archive.writer import GZIP_LEVELS
from scraper import settings as project_settings

# Bounds of numeric settings beyond their type: (lowest, highest), None for no bound.
BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "WARC_GZIP_LEVEL": (0, 9),
    "WARC_MAX_SIZE": (1, None),
    "WARC_THREADS": (0, 64),
    "WARC_PROCESSES": (0, 64),
    "EXTRACTION_PROCESSES": (1, None),
    "EXTRACTION_BATCH": (1, 256),
    "EXTRACTION_BACKLOG": (0, None),
    "EXTRACTION_WORKER_GROWTH_MB": (0, None),
    "CORPUS_MIN_WORDS": (0, None),
    "CORPUS_MAX_LINK_RATIO": (0, 1),
    "ATTENTION_IDLE_RUNS": (0, None),
    "REPORT_DAYS": (1, 3660),  # ten years of days: the page holds a bar per day
    "REPORT_LATEST": (0, None),
    "ATTENTION_MIN_RESPONSES": (0, None),
    "REDIS_IDLE_TIMEOUT": (0, None),
    "REDIS_WORKER_TIMEOUT": (1, None),
    "REDIS_OUTAGE_TIMEOUT": (0, None),
    "REDIS_HELD_MAX": (1, None),
    "MALLOC_MMAP_THRESHOLD": (0, None),
    "CRAWL_MALLOC_MMAP_THRESHOLD": (0, None),
    "DOWNLOAD_DELAY": (0, None),
    "ROBOTSTXT_CRAWL_DELAY_MAX": (0, None),
    "DOWNLOAD_TIMEOUT": (0, None),
    "CONCURRENT_REQUESTS": (1, None),
    "CONCURRENT_REQUESTS_PER_DOMAIN": (1, None),
    "RETRY_TIMES": (0, None),
    "RETRY_AFTER_MAX": (0, None),
    "DOWNLOAD_MAXSIZE": (0, None),
    "DOWNLOAD_WARNSIZE": (0, None),
}
# Settings naming a class by its import path; unset (None) means the built-in choice.
CLASS_PATHS = ("CRAWL_STATE_STORE",)
CLOSE_ENOUGH = 0.85  # difflib ratio above which an unknown name is taken for a typo


def _defaults(module: Any) -> dict[str, Any]:
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


PROJECT_DEFAULTS = _defaults(project_settings)
KNOWN_NAMES = frozenset(PROJECT_DEFAULTS) | frozenset(_defaults(default_settings))


def _kind(default: Any) -> str | None:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    return None


def settings_error(
    settings: BaseSettings, defaults: Mapping[str, Any] = PROJECT_DEFAULTS
) -> str | None:
    """Say what is wrong with the first setting of ``defaults`` whose value has the wrong type or range."""
    getters = {"bool": settings.getbool, "int": settings.getint, "float": settings.getfloat}
    expected = {
        "bool": "True or False (also 1/0, true/false)",
        "int": "a whole number",
        "float": "a number",
    }
    for name, default in defaults.items():
        kind = _kind(default)
        if kind is None or settings.get(name) is None:
            continue
        try:
            value = getters[kind](name)
        except (TypeError, ValueError):
            value = None
        if value is None or (kind == "float" and math.isnan(value)):  # NaN passes every bound
            return f"setting {name}: {settings.get(name)!r} is not {expected[kind]}"
        low, high = BOUNDS.get(name, (None, None))
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"{low} or more"
            return f"setting {name}: {value!r} is out of range ({span})"
    return _class_path_error(settings) or _gzip_error(settings) or _key_prefix_error(settings)


def _key_prefix_error(settings: BaseSettings) -> str | None:
    """Say why ``REDIS_KEY_PREFIX`` cannot start the keys of a shared crawl."""
    prefix = settings.get("REDIS_KEY_PREFIX")
    if prefix is None or (isinstance(prefix, str) and prefix and not any(map(str.isspace, prefix))):
        return None
    return (
        f"setting REDIS_KEY_PREFIX: {prefix!r} cannot start the Redis keys of a shared crawl "
        "(one word without spaces, such as news)"
    )


def _gzip_error(settings: BaseSettings) -> str | None:
    """Say what is wrong with ``WARC_GZIP_ENGINE``, or with a level it does not have."""
    engine = settings.get("WARC_GZIP_ENGINE")
    if engine is None:  # not a project's settings: nothing to check the level against
        return None
    if engine not in GZIP_LEVELS:
        return f"setting WARC_GZIP_ENGINE: {engine!r} is not one of {', '.join(GZIP_LEVELS)}"
    if engine == "isal" and importlib.util.find_spec("isal") is None:
        return "setting WARC_GZIP_ENGINE: isal is not installed (pip install isal), or set zlib"
    levels = GZIP_LEVELS[engine]
    level = settings.getint("WARC_GZIP_LEVEL")
    if level not in levels:
        return (
            f"setting WARC_GZIP_LEVEL: {level} is out of range for WARC_GZIP_ENGINE={engine} "
            f"(from {levels[0]} to {levels[-1]})"
        )
    return None


def _class_path_error(settings: BaseSettings) -> str | None:
    for name in CLASS_PATHS:
        path = settings.get(name)
        if not path or not isinstance(path, str):
            continue
        try:
            found = load_object(path)
        except (ImportError, NameError, ValueError) as error:
            return f"setting {name}: {path!r} is not a class path (package.module.Class): {error}"
        if not isinstance(found, type):
            return f"setting {name}: {path!r} is not a class"
        for needed in getattr(found, "required_settings", ()):
            if not settings.get(needed):
                return f"setting {name}: {path!r} needs {needed}, which is not set"
    return None


def close_names(names: Iterable[str], known: Iterable[str] = KNOWN_NAMES) -> dict[str, str]:
    """Map each name of ``names`` that is not a known setting but close to one to that one."""
    known = sorted(known)
    found = {}
    for name in names:
        if name in known:
            continue
        match = difflib.get_close_matches(name.upper(), known, n=1, cutoff=CLOSE_ENOUGH)
        if match:
            found[name] = match[0]
    return found


def unknown_argument(arguments: Iterable[str], accepted: Iterable[str]) -> str | None:
    """Say which spider argument (``-a NAME=...``) is not one of ``accepted``, if any."""
    accepted = sorted(accepted)
    for name in arguments:
        if name not in accepted:
            match = difflib.get_close_matches(name, accepted, n=1, cutoff=0.6)
            hint = f"; did you mean -a {match[0]}=...?" if match else ""
            takes = ", ".join(f"-a {a}=..." for a in accepted) or "no -a arguments"
            return f"unknown spider argument -a {name}=...{hint} (this command takes {takes})"
    return None
