"""Every request.meta key and response flag the code names is documented in scraper/meta.py."""

from __future__ import annotations

import ast
from pathlib import Path

from scraper import meta

ROOT = Path(__file__).resolve().parent.parent


def _attribute(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else ""


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def named() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The (key, file) of each literal meta key and the (flag, file) of each literal flag in scraper/."""
    keys: set[tuple[str, str]] = set()
    flags: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "scraper").rglob("*.py")):
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(), where)):
            if isinstance(node, ast.Subscript) and _attribute(node.value) == "meta":
                key = _text(node.slice)
                if key:
                    keys.add((key, where))
            elif isinstance(node, ast.Call):
                receiver = _attribute(getattr(node.func, "value", None) or node.func)
                method = _attribute(node.func)
                first = _text(node.args[0]) if node.args else None
                if first and receiver == "meta" and method in ("get", "pop", "setdefault"):
                    keys.add((first, where))
                if first and receiver == "flags" and method == "append":
                    flags.add((first, where))
                for keyword in node.keywords:
                    if keyword.arg == "meta" and isinstance(keyword.value, ast.Dict):
                        keys |= {(k, where) for k in map(_text, keyword.value.keys) if k}
                    if keyword.arg == "flags" and isinstance(keyword.value, ast.List):
                        flags |= {(f, where) for f in map(_text, keyword.value.elts) if f}
            elif isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)):
                name, container = _text(node.left), _attribute(node.comparators[0])
                if name and container == "meta":
                    keys.add((name, where))
                if name and container == "flags":
                    flags.add((name, where))
    return keys, flags


def test_every_meta_key_and_flag_is_documented() -> None:
    keys, flags = named()
    assert len(keys) > 20 and len(flags) > 3  # the walk finds what the code names
    assert sorted((key, where) for key, where in keys if key not in meta.REQUEST_KEYS) == []
    assert sorted((flag, where) for flag, where in flags if flag not in meta.RESPONSE_FLAGS) == []


def constants_used() -> set[str]:
    """The values of the ``meta.NAME`` constants the code in scraper/ refers to."""
    used = set()
    for path in sorted((ROOT / "scraper").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "meta":
                used.add(getattr(meta, node.attr, node.attr))
    return used


def test_every_documented_name_is_used() -> None:
    keys, flags = named()
    used_keys = {key for key, _ in keys} | constants_used()
    used_flags = {flag for flag, _ in flags} | constants_used()
    spider_keywords = {meta.PAGE, meta.SITEMAP_DEPTH, meta.RECRAWL}  # _request(..., page=1)
    assert sorted(meta.REQUEST_KEYS - used_keys - spider_keywords) == []
    assert sorted(meta.RESPONSE_FLAGS - used_flags) == []
