"""Editing the `[[users]]` tables of the configuration file as text, so comments and the
rest of the file stay as the operator wrote them.

Each function takes the file's text and returns the new text; the edge validates the
result as a whole configuration before `write_atomically` replaces the file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path

_TABLE = re.compile(r"^\s*\[")
_USERS = re.compile(r"^\s*\[\[\s*users\s*\]\]\s*(#.*)?$")


class UserEditError(ValueError):
    """The edit cannot be made (a duplicate or missing extension)."""


def _blocks(lines: list[str]) -> list[tuple[int, int, dict[str, object]]]:
    """(first line, end line, parsed table) of every [[users]] table."""
    found = []
    index = 0
    while index < len(lines):
        if _USERS.match(lines[index]):
            end = index + 1
            while end < len(lines) and not _TABLE.match(lines[end]):
                end += 1
            body = "".join(lines[index + 1:end])
            try:
                table = tomllib.loads(body)
            except tomllib.TOMLDecodeError:
                table = {}
            found.append((index, end, table))
            index = end
        else:
            index += 1
    return found


def _find(lines: list[str], extension: str) -> tuple[int, int, dict[str, object]] | None:
    return next((b for b in _blocks(lines) if b[2].get("extension") == extension), None)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _table(extension: str, password: str, name: str | None) -> list[str]:
    lines = ["[[users]]\n", f"extension = {_quote(extension)}\n",
             f"password = {_quote(password)}\n"]
    if name:
        lines.append(f"name = {_quote(name)}\n")
    return lines


def add_user(text: str, extension: str, password: str, name: str | None) -> str:
    lines = text.splitlines(keepends=True)
    if _find(lines, extension) is not None:
        raise UserEditError(f"extension {extension} already exists")
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join([*lines, "\n", *_table(extension, password, name)])


def change_user(text: str, extension: str, password: str | None, name: str | None) -> str:
    lines = text.splitlines(keepends=True)
    block = _find(lines, extension)
    if block is None:
        raise UserEditError(f"no user with extension {extension}")
    start, end, table = block
    new_password = password if password is not None else str(table.get("password", ""))
    new_name = name if name is not None else table.get("name")
    trailing = [line for line in lines[start + 1:end] if not line.strip()]
    replacement = _table(extension, new_password, str(new_name) if new_name else None)
    return "".join(lines[:start] + replacement + trailing + lines[end:])


def remove_user(text: str, extension: str) -> str:
    lines = text.splitlines(keepends=True)
    block = _find(lines, extension)
    if block is None:
        raise UserEditError(f"no user with extension {extension}")
    start, end, _ = block
    return "".join(lines[:start] + lines[end:])


def write_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` with `text` all at once: a reader sees the old file or the new one."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
