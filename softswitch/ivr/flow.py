"""IVR flows as data, and their validation.

A flow is a dict (as loaded from TOML): `start` names the first node; `nodes` maps node
names to tables with a `type`. Each type's keys are listed in `NODE_KEYS` as
(required, optional). `validate_flow` returns every problem it finds, each naming the node
and the key, so one pass over a broken file shows all of its mistakes.

Types:
- play       prompts, next?                      play, then go on (no next: hang up)
- menu       prompts, choices{digit: node}, timeout?, retries?, invalid_prompt?,
             noinput_prompt?, on_fail?           one key press chooses the next node
- language   prompts, choices{digit: "en"|"zh"}, next, default?, timeout?, retries?
- collect    prompts, var, next, max_digits?, min_digits?, terminator?, timeout?,
             inter_digit_timeout?, retries?, noinput_prompt?, invalid_prompt?, on_fail?
- hours      timezone, schedule{mon..sun: ["09:00-17:00"]}, open, closed, holidays?,
             holiday?                            branch on the wall time
- set        next, skills?, priority?, vars?     remember routing data for the queue
- goto       target
- queue      queue                               hand over to the ACD
- extension  number
- voicemail  box
- hangup     prompts?
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from softswitch.ivr.hours import schedule_errors

LANGUAGES = frozenset({"en", "zh"})
DTMF = frozenset("0123456789*#")

_MENU_OPTIONAL = {"timeout", "retries", "invalid_prompt", "noinput_prompt", "on_fail"}

#: type -> (required keys, optional keys)
NODE_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "play": ({"prompts"}, {"next"}),
    "menu": ({"prompts", "choices"}, _MENU_OPTIONAL),
    "language": ({"prompts", "choices", "next"}, {"default", "timeout", "retries",
                                                  "invalid_prompt", "noinput_prompt"}),
    "collect": ({"prompts", "var", "next"}, _MENU_OPTIONAL | {
        "max_digits", "min_digits", "terminator", "inter_digit_timeout"}),
    "hours": ({"timezone", "schedule", "open", "closed"}, {"holidays", "holiday"}),
    "set": ({"next"}, {"skills", "priority", "vars", "language"}),
    "goto": ({"target"}, set()),
    "queue": ({"queue"}, set()),
    "extension": ({"number"}, set()),
    "voicemail": ({"box"}, set()),
    "hangup": (set(), {"prompts"}),
}

#: keys whose value names another node
NODE_REFS = ("next", "on_fail", "open", "closed", "holiday", "target")


class FlowError(ValueError):
    """A flow that does not validate; `errors` lists every problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid IVR flow: " + "; ".join(errors))
        self.errors = errors


def validate_flow(flow: object) -> list[str]:
    """Every problem in `flow`, as "node 'x': key 'y': what is wrong"; [] when valid."""
    if not isinstance(flow, Mapping):
        return ["flow: must be a table with 'start' and 'nodes'"]
    nodes = flow.get("nodes")
    if not isinstance(nodes, Mapping) or not nodes:
        return ["flow: key 'nodes': must be a non-empty table of nodes"]
    errors = []
    start = flow.get("start")
    if start not in nodes:
        errors.append(f"flow: key 'start': {start!r} is not a node")
    for name, node in nodes.items():
        errors += [f"node {name!r}: {e}" for e in _node_errors(node, nodes)]
    return errors


def _node_errors(node: object, nodes: Mapping[str, Any]) -> list[str]:
    if not isinstance(node, Mapping):
        return ["must be a table"]
    kind = node.get("type")
    if kind not in NODE_KEYS:
        return [f"key 'type': {kind!r} is not one of {', '.join(sorted(NODE_KEYS))}"]
    required, optional = NODE_KEYS[kind]
    errors = [f"key {key!r}: missing" for key in sorted(required - node.keys())]
    errors += [f"key {key!r}: not a key of a {kind} node"
               for key in sorted(node.keys() - required - optional - {"type"})]
    for key in NODE_REFS:
        if key in node and node[key] not in nodes:
            errors.append(f"key {key!r}: {node[key]!r} is not a node")
    for key in ("prompts",):
        if key in node and not _string_list(node[key]):
            errors.append(f"key {key!r}: must be a list of prompt names")
    for key in ("invalid_prompt", "noinput_prompt"):
        if key in node and not (isinstance(node[key], str) and node[key]):
            errors.append(f"key {key!r}: must be a prompt name")
    for key in ("timeout", "inter_digit_timeout"):
        if key in node and not (_number(node[key]) and node[key] > 0):
            errors.append(f"key {key!r}: must be a number of seconds > 0")
    if "retries" in node and not (_int(node["retries"]) and node["retries"] >= 0):
        errors.append("key 'retries': must be a whole number >= 0")
    choices = node.get("choices")
    if "choices" in node:
        if not isinstance(choices, Mapping) or not choices:
            errors.append("key 'choices': must be a non-empty table of digit -> target")
        else:
            for digit, target in choices.items():
                if digit not in DTMF:
                    errors.append(f"key 'choices.{digit}': a choice is one key of 0-9 * #")
                elif kind == "language" and target not in LANGUAGES:
                    errors.append(f"key 'choices.{digit}': language {target!r} is not one "
                                  f"of {', '.join(sorted(LANGUAGES))}")
                elif kind == "menu" and target not in nodes:
                    errors.append(f"key 'choices.{digit}': {target!r} is not a node")
    for key in ("default", "language"):
        if key in node and node[key] not in LANGUAGES:
            errors.append(f"key {key!r}: language {node[key]!r} is not one of "
                          f"{', '.join(sorted(LANGUAGES))}")
    if kind == "collect":
        errors += _collect_errors(node)
    if kind == "hours":
        errors += schedule_errors(node.get("timezone"), node.get("schedule"),
                                  node.get("holidays", []))
    if kind == "set":
        errors += _set_errors(node)
    for key in ("queue", "number", "box", "var"):
        if key in node and not (isinstance(node[key], str) and node[key]):
            errors.append(f"key {key!r}: must be a non-empty string")
    return errors


def _collect_errors(node: Mapping[str, Any]) -> list[str]:
    errors = []
    max_digits = node.get("max_digits", 20)
    min_digits = node.get("min_digits", 1)
    if not (_int(max_digits) and max_digits >= 1):
        errors.append("key 'max_digits': must be a whole number >= 1")
    elif not (_int(min_digits) and 0 <= min_digits <= max_digits):
        errors.append("key 'min_digits': must be a whole number from 0 to max_digits")
    if "terminator" in node and node["terminator"] not in DTMF | {""}:
        errors.append("key 'terminator': must be one key of 0-9 * # (or empty)")
    return errors


def _set_errors(node: Mapping[str, Any]) -> list[str]:
    errors = []
    skills = node.get("skills", {})
    if not isinstance(skills, Mapping) or not all(
            isinstance(k, str) and _int(v) and 1 <= v <= 10 for k, v in skills.items()):
        errors.append("key 'skills': must be a table of skill -> level 1..10")
    if "priority" in node and not (_int(node["priority"]) and node["priority"] >= 0):
        errors.append("key 'priority': must be a whole number >= 0")
    variables = node.get("vars", {})
    if not isinstance(variables, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in variables.items()):
        errors.append("key 'vars': must be a table of name -> text")
    return errors


def _string_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(p, str) and p for p in value)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
