"""The schema engine on a section made up for the test, as a later issue would add one."""

from collections.abc import Iterable
from dataclasses import dataclass

from softswitch.config.locate import KeyPath
from softswitch.config.schema import (
    BOOLEAN,
    INTEGER,
    STRING,
    Problem,
    build_root,
    build_table,
    redact,
    section,
    setting,
    unique,
)


def positive(value: int) -> int:
    if value <= 0:
        raise ValueError("must be positive")
    return value


@dataclass(frozen=True, kw_only=True)
class Queue:
    name: str = setting(kind=STRING)
    weight: int = setting(1, kind=INTEGER, convert=positive)
    music: bool = setting(False, kind=BOOLEAN)
    pin: str = setting("", kind=STRING, secret=True)


@dataclass(frozen=True, kw_only=True)
class Media:
    ptime: int = setting(20, kind=INTEGER)


def no_default(queues: tuple[Queue | None, ...]) -> Iterable[Problem]:
    for index, queue in enumerate(queues):
        if queue is not None and queue.name == "default":
            yield Problem((index, "name"), "reserved name")


@dataclass(frozen=True, kw_only=True)
class Root:
    media: Media = section(Media)  # noqa: RUF009
    queues: tuple[Queue, ...] = section(Queue, many=True, check=no_default)
    tag: str = ""


def collect() -> tuple[list[tuple[KeyPath, str]], object]:
    found: list[tuple[KeyPath, str]] = []
    return found, lambda path, message: found.append((path, message))


def test_defaults_and_conversion() -> None:
    found, report = collect()
    queue = build_table(Queue, {"name": "sales", "weight": 3}, ("queues", 0), report)
    assert found == []
    assert queue == Queue(name="sales", weight=3, music=False)


def test_every_problem_is_reported() -> None:
    found, report = collect()
    raw = {"weight": 0, "music": "yes", "nmae": "x"}
    assert build_table(Queue, raw, ("q",), report) is None
    assert sorted(found) == sorted([
        (("q", "nmae"), "unknown key, did you mean 'name'? (known: music, name, pin, weight)"),
        (("q",), "missing required key 'name'"),
        (("q", "weight"), "must be positive"),
        (("q", "music"), "expected true or false, got 'yes' (a string)"),
    ])


def test_root_sections_checks_and_extra_fields() -> None:
    found, report = collect()
    raw = {"media": {"ptime": 30}, "queues": [{"name": "a"}, {"name": "b"}]}
    root = build_root(Root, raw, report, tag="t")
    assert found == []
    assert root == Root(media=Media(ptime=30), queues=(Queue(name="a"), Queue(name="b")),
                        tag="t")
    assert build_root(Root, {}, report) == Root()


def test_array_check_still_runs_when_an_element_is_invalid() -> None:
    found, report = collect()
    raw = {"queues": [{"name": 5}, {"name": "default"}]}
    assert build_root(Root, raw, report) is None
    assert found == [(("queues", 0, "name"), "expected a string, got 5 (an integer)"),
                     (("queues", 1, "name"), "reserved name")]


def test_unique_check() -> None:
    check = unique("name")
    items = (Queue(name="a"), None, Queue(name="b"), Queue(name="a"))
    assert list(check(items)) == [
        Problem((3, "name"), "duplicate name 'a' (already used by element 0)")]


def test_secret_settings_hidden() -> None:
    queue = Queue(name="x", pin="4321")
    assert "4321" not in repr(queue)
    assert redact(queue) == {"name": "x", "weight": 1, "music": False, "pin": "***"}
