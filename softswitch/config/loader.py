"""Reading a TOML configuration into `Config`, or one `ConfigErrors` naming every problem
by file, line and key, so the switch never starts half-configured."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

from softswitch.config.locate import KeyLines, KeyPath, dotted
from softswitch.config.model import Config
from softswitch.config.schema import build_root
from softswitch.errors import ConfigError

_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


class ConfigErrors(ConfigError):
    """Every problem found in one file; it is a ConfigError located at the first one."""

    def __init__(self, errors: Sequence[ConfigError]) -> None:
        if not errors:
            raise ValueError("ConfigErrors needs at least one error")
        first = errors[0]
        super().__init__(first.file, first.line, first.key, first.message)
        self.errors: tuple[ConfigError, ...] = tuple(errors)

    def __str__(self) -> str:
        return "\n".join(Exception.__str__(error) for error in self.errors)


def parse_config(text: str, file_name: str) -> Config:
    """Parse and validate `text`; raise ConfigErrors listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.search(message)
        line = int(match.group(1)) if match else None
        message = _TOML_POSITION.sub("", message).strip()
        raise ConfigErrors([ConfigError(file_name, line, "(syntax)",
                                        f"invalid TOML: {message}")]) from None
    lines = KeyLines(text)
    errors: list[ConfigError] = []

    def report(path: KeyPath, message: str) -> None:
        errors.append(ConfigError(file_name, lines.line_of(path), dotted(path) or "(root)",
                                  message))

    config = build_root(Config, raw, report, source=file_name)
    if errors or config is None:
        errors.sort(key=lambda e: (e.line or 0))
        raise ConfigErrors(errors)
    return config


def load_config(path: Path | str) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigErrors([ConfigError(str(path), None, "(file)",
                                        f"cannot read: {exc}")]) from None
    return parse_config(text, str(path))
