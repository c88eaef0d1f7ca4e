"""Every setting the code reads has its default in scraper/settings.py (or Scrapy's), and only there."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from scrapy.settings import default_settings

import scraper.settings
from sitefixture.settings import settings as project_settings_object

ROOT = Path(__file__).resolve().parent.parent
GETTERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict", "getpath", "getwithbase"}


def settings_reads() -> list[tuple[str, int, str, int]]:
    """(file, line, setting, number of arguments) of each ``*settings.getX("NAME", ...)`` in scraper/."""
    reads = []
    for path in sorted((ROOT / "scraper").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            name = (
                receiver.attr
                if isinstance(receiver, ast.Attribute)
                else getattr(receiver, "id", "")
            )
            first = node.args[0] if node.args else None
            if (
                node.func.attr in GETTERS
                and name.endswith("settings")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value.isupper()
            ):
                arguments = len(node.args) + len(node.keywords)
                reads.append((str(path.relative_to(ROOT)), node.lineno, first.value, arguments))
    return reads


def test_every_setting_read_has_a_default_in_the_settings_modules() -> None:
    reads = settings_reads()
    assert len(reads) > 50  # the walk finds the code's reads
    defined = {name for name in vars(scraper.settings) if name.isupper()}
    defined |= {name for name in vars(default_settings) if name.isupper()}
    assert [read for read in reads if read[2] not in defined] == []


def test_the_code_reads_settings_without_a_second_default() -> None:
    reads = settings_reads()
    assert len(reads) > 50  # the walk finds the code's reads
    assert [read for read in reads if read[3] > 1] == []


def test_the_extensions_loaded_import_no_aiohttp() -> None:
    """Scrapy imports every extension listed, even one set to None, to build the crawl's: the
    remote control's module imports aiohttp, which would cost each crawl 10 MiB."""
    code = (
        "import sys\n"
        "from scrapy.utils.conf import build_component_list\n"
        "from scrapy.utils.misc import load_object\n"
        "from scrapy.utils.project import get_project_settings\n"
        "settings = get_project_settings()\n"
        "# As scrapy.extension.ExtensionManager builds them\n"
        "listed = settings.get_component_priority_dict_with_base('EXTENSIONS')\n"
        "for path in build_component_list(listed):\n"
        "    load_object(path)\n"
        "print('aiohttp' in sys.modules)\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "False", loaded.stderr[-2000:]


def test_the_remote_control_can_be_turned_on() -> None:
    remote_control = {"scrapy.extensions.remote_control.RemoteControl": 0}
    settings = project_settings_object({"EXTENSIONS": remote_control})
    listed = settings.get_component_priority_dict_with_base("EXTENSIONS")
    assert "scrapy.extensions.remote_control.RemoteControl" in listed
