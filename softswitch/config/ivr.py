"""`[ivr]`: IVR flows, written inline (`[ivr.flows.main]` with `start` and `[ivr.flows.main.
nodes.x]` tables) or kept in a file of their own (`[ivr.flows.main] file = "main.toml"`,
relative to the configuration file, holding `start` and `[nodes.x]`).

A flow is checked by `softswitch.ivr.validate_flow`; each of its messages is placed on
the line of the key it names, in the file the flow came from, under the full dotted key:
`ivr.flows.main.nodes.menu1.choices.3: unknown node "sales2"`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from softswitch.config.locate import KeyLines, KeyPath, dotted
from softswitch.config.schema import TABLE, Invalid, Problem, setting
from softswitch.errors import ConfigError
from softswitch.ivr.flow import validate_flow

_NODE_MESSAGE = re.compile(r"^node (?P<q>['\"])(?P<node>.*?)(?P=q): "
                           r"(?:key '(?P<key>[^']*)': )?(?P<message>.*)$")
_FLOW_MESSAGE = re.compile(r"^flow: (?:key '(?P<key>[^']*)': )?(?P<message>.*)$")
_NOT_A_NODE = re.compile(r"^(?P<q>['\"])(?P<name>.*)(?P=q) is not a node$")
_FLOW_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

Report = Callable[[KeyPath, str], None]


def flow_tables(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Shape only: each flow is a table, either `file = "..."` alone or the flow itself."""
    problems = []
    for name, flow in raw.items():
        if not _FLOW_NAME.match(name):
            problems.append(Problem((name,), f"{name!r} is not a flow name"))
        elif not isinstance(flow, dict):
            problems.append(Problem((name,), "expected a table: the flow, or file = \"...\""))
        elif "file" in flow:
            if not isinstance(flow["file"], str) or not flow["file"].strip():
                problems.append(Problem((name, "file"), "expected the name of a TOML file"))
            elif len(flow) > 1:
                extra = sorted(set(flow) - {"file"})
                problems.append(Problem((name, extra[0]),
                                        "a flow read from a file has no other keys here"))
    if problems:
        raise Invalid(problems)
    return dict(raw)


@dataclass(frozen=True, kw_only=True)
class IvrConfig:
    #: flow name -> flow (`start`, `nodes`), as `softswitch.ivr.IvrSession` takes it
    flows: dict[str, dict[str, Any]] = setting(  # noqa: RUF009
        factory=dict, kind=TABLE, convert=flow_tables)
    #: flow name -> the file it was read from ("" when written inline)
    flow_files: dict[str, str] = field(default_factory=dict)


def message_path(message: str) -> tuple[KeyPath, str]:
    """A `validate_flow` message as (path inside the flow, message without the location)."""
    if match := _NODE_MESSAGE.match(message):
        path: KeyPath = ("nodes", match["node"])
        if match["key"]:
            path += tuple(match["key"].split("."))
        text = match["message"]
    elif match := _FLOW_MESSAGE.match(message):
        path = (match["key"],) if match["key"] else ()
        text = match["message"]
    else:
        return (), message
    if named := _NOT_A_NODE.match(text):
        text = f'unknown node "{named["name"]}"'
    return path, text


@dataclass(frozen=True)
class FlowSource:
    """Where one flow's text lives, to place its errors."""

    file: str
    lines: KeyLines
    #: the path of the flow inside that file: () for a flow file
    base: KeyPath


class FlowReader:
    """Reads the flows of `[ivr]`, following `file` keys, and reports problems located in
    the file each flow came from."""

    def __init__(self, main_file: str, main_lines: KeyLines, errors: list[ConfigError],
                 base_dir: Path) -> None:
        self._main = FlowSource(main_file, main_lines, ())
        self._errors = errors
        self._base_dir = base_dir
        self.sources: dict[str, FlowSource] = {}

    def report(self, flow: str, path: KeyPath, message: str) -> None:
        """A problem at `path` inside flow `flow`."""
        source = self.sources.get(flow, self._main)
        full = (*source.base, *path)
        self._errors.append(ConfigError(source.file, source.lines.line_of(full),
                                        dotted(("ivr", "flows", flow, *path)), message))

    def read(self, ivr: IvrConfig) -> IvrConfig:
        flows: dict[str, dict[str, Any]] = {}
        files: dict[str, str] = {}
        for name, raw in ivr.flows.items():
            if "file" in raw:
                loaded = self._read_file(name, raw["file"])
                if loaded is None:
                    continue
                flow = loaded
                files[name] = self.sources[name].file
            else:
                self.sources[name] = FlowSource(self._main.file, self._main.lines,
                                                ("ivr", "flows", name))
                flow = raw
                files[name] = ""
            for message in validate_flow(flow):
                path, text = message_path(message)
                self.report(name, path, text)
            flows[name] = flow
        return replace(ivr, flows=flows, flow_files=files)

    def _read_file(self, name: str, file_name: str) -> dict[str, Any] | None:
        path = Path(file_name).expanduser()
        if not path.is_absolute():
            path = self._base_dir / path
        main_path = ("ivr", "flows", name, "file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._errors.append(ConfigError(self._main.file, self._main.lines.line_of(
                main_path), dotted(main_path), f"cannot read flow file {str(path)!r}: "
                                               f"{getattr(exc, 'strerror', None) or exc}"))
            return None
        try:
            flow = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            position = re.search(r"\(at line (\d+), column \d+\)", str(exc))
            self._errors.append(ConfigError(
                str(path), int(position.group(1)) if position else None,
                dotted(("ivr", "flows", name)),
                f"invalid TOML: {re.sub(r'[(]at line .*[)]', '', str(exc)).strip()}"))
            return None
        self.sources[name] = FlowSource(str(path), KeyLines(text), ())
        return flow


__all__ = ["FlowReader", "IvrConfig", "flow_tables", "message_path"]
