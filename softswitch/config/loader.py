"""Reading a TOML configuration into `Config`, or one `ConfigErrors` naming every problem
by file, line and key, so the switch never starts half-configured."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from softswitch.config.ivr import FlowReader
from softswitch.config.locate import KeyLines, KeyPath, dotted
from softswitch.config.model import Config
from softswitch.config.references import cross_references, flow_references
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


def parse_config(text: str, file_name: str, base_dir: Path | None = None) -> Config:
    """Parse and validate `text`; raise ConfigErrors listing every problem.

    Files the configuration names (IVR flows) are read from `base_dir`, by default the
    folder of `file_name`."""
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
    if config is not None and not errors:
        config = _with_references(config, file_name, lines, errors, report,
                                  base_dir if base_dir is not None else Path(file_name).parent)
    if errors or config is None:
        errors.sort(key=lambda e: (e.file != file_name, e.file, e.line or 0))
        raise ConfigErrors(errors)
    return config


def _with_references(config: Config, file_name: str, lines: KeyLines,
                     errors: list[ConfigError], report: Callable[[KeyPath, str], None],
                     base_dir: Path) -> Config:
    """Read the IVR flows (maybe from other files) and check what each section names."""
    reader = FlowReader(file_name, lines, errors, base_dir)
    config = replace(config, ivr=reader.read(config.ivr))
    users = {user.extension for user in config.users}
    queues = {queue.name for queue in config.queues}
    for name, flow in config.ivr.flows.items():
        for problem in flow_references(flow, users, queues):
            reader.report(name, problem.path, problem.message)
    for problem in cross_references(config):
        report(problem.path, problem.message)
    return config


def load_config(path: Path | str) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigErrors([ConfigError(str(path), None, "(file)",
                                        f"cannot read: {exc}")]) from None
    return parse_config(text, str(path))
