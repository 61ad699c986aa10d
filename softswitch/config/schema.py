"""A small declarative schema: settings are dataclass fields that carry their TOML kind,
default and validator, sections are fields of the root that carry their dataclass.

Adding a section later is one frozen dataclass of `setting(...)` fields plus one
`section(...)` line on `Config`; no per-key code. The builder walks raw TOML data against
the dataclasses and collects every problem instead of stopping at the first one.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from softswitch.config.locate import KeyPath, PathPart

SETTING = "softswitch.setting"
SECTION = "softswitch.section"

T = TypeVar("T")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Kind:
    """A TOML value type, with the words used to name it in errors."""

    name: str
    accepts: Callable[[object], bool]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


STRING = Kind("a string", lambda v: isinstance(v, str))
INTEGER = Kind("an integer", _is_int)
NUMBER = Kind("a number", lambda v: _is_int(v) or isinstance(v, float))
BOOLEAN = Kind("true or false", lambda v: isinstance(v, bool))
STRING_LIST = Kind("a list of strings",
                   lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v))
TABLE = Kind("a table", lambda v: isinstance(v, dict))
TABLE_LIST = Kind("an array of tables",
                  lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v))
ANY = Kind("a value", lambda v: True)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at a path relative to the section being checked."""

    path: KeyPath
    message: str


class Invalid(ValueError):
    """Raised by a converter of a nested value: every problem, each at its own sub-path."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Setting:
    kind: Kind
    #: turns the raw TOML value into the stored one; raises ValueError to reject it
    convert: Callable[[Any], Any] | None
    secret: bool


@dataclass(frozen=True)
class Section:
    cls: type
    many: bool
    #: cross-key checks: for a table, run once all its keys are valid; for an array of
    #: tables, run on every element, the invalid ones given as None
    check: Callable[[Any], Iterable[Problem]] | None


def setting(default: Any = REQUIRED, *, kind: Kind,
            convert: Callable[[Any], Any] | None = None, secret: bool = False,
            factory: Callable[[], Any] | None = None) -> Any:
    """A dataclass field that the builder reads from TOML; secrets stay out of repr().
    `factory` makes a fresh default (a dict) for each instance."""
    metadata = {SETTING: Setting(kind, convert, secret)}
    if factory is not None:
        return field(default_factory=factory, repr=not secret, metadata=metadata)
    if default is REQUIRED:
        return field(repr=not secret, metadata=metadata)
    return field(default=default, repr=not secret, metadata=metadata)


def section(cls: type, *, many: bool = False,
            check: Callable[[Any], Iterable[Problem]] | None = None) -> Any:
    """A root field holding one table (`[sip]`) or an array of tables (`[[users]]`)."""
    metadata = {SECTION: Section(cls, many, check)}
    if many:
        return field(default=(), metadata=metadata)
    return field(default_factory=cls, metadata=metadata)


def settings_of(cls: type) -> dict[str, tuple[dataclasses.Field[Any], Setting]]:
    return {f.name: (f, f.metadata[SETTING]) for f in dataclasses.fields(cls)
            if SETTING in f.metadata}


def sections_of(cls: type) -> dict[str, Section]:
    return {f.name: f.metadata[SECTION] for f in dataclasses.fields(cls)
            if SECTION in f.metadata}


def unknown_key(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f", did you mean {close[0]!r}?" if close else ""
    return f"unknown key{hint} (known: {', '.join(sorted(known))})"


def build_table(cls: type[T], raw: Mapping[str, Any], path: KeyPath,
                report: Callable[[KeyPath, str], None]) -> T | None:
    """A `cls` from one TOML table, or None after reporting every problem found."""
    known = settings_of(cls)
    ok = True
    for key in raw:
        if key not in known:
            report((*path, key), unknown_key(key, known))
            ok = False
    values: dict[str, Any] = {}
    for name, (fld, spec) in known.items():
        if name not in raw:
            required = (fld.default is dataclasses.MISSING
                        and fld.default_factory is dataclasses.MISSING)
            if required:
                report(path, f"missing required key {name!r}")
                ok = False
            continue
        value = raw[name]
        if not spec.kind.accepts(value):
            report((*path, name), f"expected {spec.kind.name}, got {_describe(value)}")
            ok = False
            continue
        if spec.convert is not None:
            try:
                value = spec.convert(value)
            except Invalid as exc:
                for problem in exc.problems:
                    report((*path, name, *problem.path), problem.message)
                ok = False
                continue
            except ValueError as exc:
                report((*path, name), str(exc))
                ok = False
                continue
        values[name] = value
    return cls(**values) if ok else None


def build_root(cls: type[T], raw: Mapping[str, Any],
               report: Callable[[KeyPath, str], None], **extra: Any) -> T | None:
    """The root object: each section built and checked, unknown sections reported."""
    known = sections_of(cls)
    ok = True
    for key in raw:
        if key not in known:
            report((key,), unknown_key(key, known))
            ok = False
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in raw:
            continue
        built = _build_section(name, spec, raw[name], report)
        if built is None:
            ok = False
        else:
            values[name] = built
    return cls(**values, **extra) if ok else None


def _build_section(name: str, spec: Section, raw: Any,
                   report: Callable[[KeyPath, str], None]) -> Any:
    if not spec.many:
        if not isinstance(raw, dict):
            report((name,), f"expected a table [{name}], got {_describe(raw)}")
            return None
        item = build_table(spec.cls, raw, (name,), report)
        return None if item is None else _checked(item, (name,), spec.check, report)
    if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
        report((name,), f"expected an array of tables [[{name}]], got {_describe(raw)}")
        return None
    items = [build_table(spec.cls, element, (name, index), report)
             for index, element in enumerate(raw)]
    # the check sees the elements that failed as None, so it still reports on the rest
    checked = _checked(tuple(items), (name,), spec.check, report)
    if checked is None or any(item is None for item in items):
        return None
    return checked


def _checked(value: Any, path: KeyPath, check: Callable[[Any], Iterable[Problem]] | None,
             report: Callable[[KeyPath, str], None]) -> Any:
    problems = list(check(value)) if check is not None else []
    for problem in problems:
        report((*path, *problem.path), problem.message)
    return None if problems else value


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    kinds = {str: "a string", int: "an integer", float: "a number", list: "an array",
             dict: "a table"}
    kind = kinds.get(type(value), type(value).__name__)
    if isinstance(value, (list, dict)):
        return kind
    return f"{value!r} ({kind})"


def nested(cls: type[T]) -> Callable[[Mapping[str, Any]], T]:
    """A converter for a setting that is itself a table of settings (`overflow = {...}`)."""

    def convert(raw: Mapping[str, Any]) -> T:
        problems: list[Problem] = []
        item = build_table(cls, raw, (), lambda p, m: problems.append(Problem(p, m)))
        if item is None:
            raise Invalid(problems)
        return item
    return convert


def nested_list(cls: type[T]) -> Callable[[Sequence[Mapping[str, Any]]], tuple[T, ...]]:
    """A converter for an array of tables of settings (`queues = [{queue = "x"}]`)."""
    one = nested(cls)

    def convert(raw: Sequence[Mapping[str, Any]]) -> tuple[T, ...]:
        problems: list[Problem] = []
        items: list[T] = []
        for index, element in enumerate(raw):
            try:
                items.append(one(element))
            except Invalid as exc:
                problems += [Problem((index, *p.path), p.message) for p in exc.problems]
        if problems:
            raise Invalid(problems)
        return tuple(items)
    return convert


def unique(key: str) -> Callable[[Sequence[Any]], Iterable[Problem]]:
    """A check for an array of tables: no two elements share `key`."""

    def check(items: Sequence[Any]) -> Iterable[Problem]:
        first: dict[Any, int] = {}
        for index, item in enumerate(items):
            if item is None:
                continue
            value = getattr(item, key)
            if value in first:
                yield Problem((index, key), f"duplicate {key} {value!r} "
                                            f"(already used by element {first[value]})")
            else:
                first[value] = index
    return check


def redact(value: Any) -> Any:
    """Plain data for display, with every secret setting replaced by '***'."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for fld in dataclasses.fields(value):
            spec: Setting | None = fld.metadata.get(SETTING)
            item = getattr(value, fld.name)
            out[fld.name] = "***" if spec is not None and spec.secret else redact(item)
        return out
    if isinstance(value, (tuple, list)):
        return [redact(item) for item in value]
    if isinstance(value, Mapping):
        return {key: redact(item) for key, item in value.items()}
    return value


__all__ = ["ANY", "BOOLEAN", "INTEGER", "NUMBER", "REQUIRED", "STRING", "STRING_LIST",
           "TABLE", "TABLE_LIST", "Invalid", "Kind", "PathPart", "Problem", "build_root",
           "build_table", "nested", "nested_list", "redact", "section", "setting",
           "unique"]
