"""The code names every request.meta key and response flag through scraper/meta.py, which lists them."""

from __future__ import annotations

import ast
from pathlib import Path

from scraper import meta

ROOT = Path(__file__).resolve().parent.parent


def _attribute(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else ""


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def named(
    sources: dict[str, str] | None = None,
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The (key, file) of each literal meta key and the (flag, file) of each literal flag in
    ``sources`` (file name -> code; by default every module of scraper/)."""
    if sources is None:
        sources = {
            str(path.relative_to(ROOT)): path.read_text()
            for path in sorted((ROOT / "scraper").rglob("*.py"))
        }
    keys: set[tuple[str, str]] = set()
    flags: set[tuple[str, str]] = set()
    for where, code in sources.items():
        for node in ast.walk(ast.parse(code, where)):
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


SNIPPET = """
request.meta["a"] = request.meta.get("b") or request.meta.pop("c")
Request(url, meta={"d": 1}, flags=["e"])
if "f" in request.meta and "g" not in response.flags:
    response.flags.append("h")
"""


def test_the_walk_finds_literal_keys_and_flags() -> None:
    keys, flags = named({"snippet.py": SNIPPET})
    assert sorted(key for key, _ in keys) == ["a", "b", "c", "d", "f"]
    assert sorted(flag for flag, _ in flags) == ["e", "g", "h"]


def test_the_code_names_meta_keys_and_flags_through_scraper_meta() -> None:
    keys, flags = named()
    assert sorted(keys) == []
    assert sorted(flags) == []


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
