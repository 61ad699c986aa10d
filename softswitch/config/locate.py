"""Where each key of a TOML document is written, so errors can name a line.

tomllib returns plain dicts without positions. This scanner reads the text once and
records the line of every table header (`[x]`, `[[x]]`, counting the elements of arrays
of tables) and every `key = value` line, under the same path the loader walks:
``("users", 2, "password")``. It understands enough TOML to do that (dotted keys, quoted
keys, multi-line strings) and nothing more: the document has already been parsed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PathPart = str | int
KeyPath = tuple[PathPart, ...]

_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?$")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART_RE = re.compile(_PART)


def _split_dotted(text: str) -> list[str]:
    parts = []
    for raw in _PART_RE.findall(text):
        if raw[0] in "\"'":
            raw = raw[1:-1]
        parts.append(raw)
    return parts


def dotted(path: Sequence[PathPart]) -> str:
    """`("users", 2, "password")` -> `users[2].password` (indices count from 0)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class KeyLines:
    """Line numbers (1-based) of the keys and tables of one TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        self._scan(text)

    def _scan(self, text: str) -> None:
        table: KeyPath = ()
        counts: dict[KeyPath, int] = {}
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            if match := _ARRAY_HEADER.match(line):
                table = self._resolve(_split_dotted(match.group(1)), counts, array=True)
                self._lines.setdefault(table, number)
            elif match := _TABLE_HEADER.match(line):
                table = self._resolve(_split_dotted(match.group(1)), counts, array=False)
                self._lines.setdefault(table, number)
            elif match := _KEY_LINE.match(line):
                prefix = table
                for part in _split_dotted(match.group(1)):
                    prefix = (*prefix, part)
                    self._lines.setdefault(prefix, number)
            for quotes in ('"""', "'''"):
                if line.count(quotes) % 2 == 1:
                    in_string = quotes
                    break

    @staticmethod
    def _resolve(parts: list[str], counts: dict[KeyPath, int], *, array: bool) -> KeyPath:
        """Turn header names into a path, stepping into the last element of each array."""
        resolved: KeyPath = ()
        for position, name in enumerate(parts):
            resolved = (*resolved, name)
            last = position == len(parts) - 1
            if last and array:
                counts[resolved] = counts.get(resolved, -1) + 1
                resolved = (*resolved, counts[resolved])
            elif resolved in counts:
                resolved = (*resolved, counts[resolved])
        return resolved

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """The line of `path`, or of its nearest written ancestor (e.g. its table)."""
        key = tuple(path)
        for length in range(len(key), 0, -1):
            line = self._lines.get(key[:length])
            if line is not None:
                return line
        return None
