"""The layering of DESIGN.md, checked: sans-IO cores import no I/O, nothing imports up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "softswitch"
#: cores that must stay sans-IO: no sockets, event loop, clock reads or database
SANS_IO = ("sip", "sdp", "rtp", "acd", "ivr", "codecs")
FORBIDDEN_IN_CORES = {"asyncio", "socket", "time", "aiosqlite", "sqlite3", "threading",
                      "selectors"}
#: parts nothing below them may import
TOP = ("softswitch.runtime", "softswitch.cli", "softswitch.control")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", SANS_IO)
def test_cores_are_sans_io(part: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / part).rglob("*.py")):
        bad = {name for name in _imports(path) if name.split(".")[0] in FORBIDDEN_IN_CORES}
        if bad:
            offenders.append(f"{path.relative_to(PACKAGE)}: {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_nothing_below_imports_runtime_cli_or_control() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts)
        if module.startswith(TOP):
            continue
        bad = {name for name in _imports(path) if name.startswith(TOP)}
        if bad:
            offenders.append(f"{module}: {sorted(bad)}")
    assert not offenders, "\n".join(offenders)
