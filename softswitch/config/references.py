"""Checks across sections, once every section is valid on its own: what one part of the
file names must exist in another (queues, users, flows). Each problem is placed on the
key that names the missing thing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from softswitch.config.schema import Problem
from softswitch.config.trunks import trunk_references

if TYPE_CHECKING:
    from softswitch.config.model import Config

#: IVR node type -> (its key naming something, what it names)
FLOW_REFERENCES = {"queue": ("queue", "queue"), "extension": ("number", "user"),
                   "voicemail": ("box", "user")}


def cross_references(config: Config) -> Iterable[Problem]:
    users = {user.extension for user in config.users}
    queues = {queue.name for queue in config.queues}
    yield from _queues(config, users, queues)
    yield from _agents(config, users, queues)
    yield from _dids(config, users, queues)
    yield from trunk_references(config)


def _queues(config: Config, users: set[str], queues: set[str]) -> Iterable[Problem]:
    for index, queue in enumerate(config.queues):
        overflow = queue.overflow
        path = ("queues", index, "overflow", "target")
        if overflow.kind == "queue":
            if overflow.target not in queues:
                yield Problem(path, f'unknown queue "{overflow.target}"{_known(queues)}')
            elif overflow.target == queue.name:
                yield Problem(path, f'queue "{queue.name}" cannot overflow to itself')
        elif overflow.kind == "voicemail" and overflow.target not in users:
            yield Problem(path, f'unknown mailbox "{overflow.target}" (a mailbox is a '
                                f'user\'s extension)')
        for position, extension in enumerate(queue.supervisors):
            if extension not in users:
                yield Problem(("queues", index, "supervisors", position),
                              f'supervisor "{extension}" is not a configured user')


def _agents(config: Config, users: set[str], queues: set[str]) -> Iterable[Problem]:
    for index, agent in enumerate(config.agents):
        if agent.extension not in users:
            yield Problem(("agents", index, "extension"),
                          f'extension "{agent.extension}" is not a configured user')
        for position, tier in enumerate(agent.queues):
            if tier.queue not in queues:
                yield Problem(("agents", index, "queues", position, "queue"),
                              f'unknown queue "{tier.queue}"{_known(queues)}')


def _dids(config: Config, users: set[str], queues: set[str]) -> Iterable[Problem]:
    flows = set(config.ivr.flows)
    for index, did in enumerate(config.dids):
        kind, name = did.destination
        path = ("dids", index, kind)
        if kind == "ivr" and name not in flows:
            yield Problem(path, f'unknown IVR flow "{name}"{_known(flows)}')
        elif kind == "queue" and name not in queues:
            yield Problem(path, f'unknown queue "{name}"{_known(queues)}')
        elif kind in ("extension", "voicemail") and name not in users:
            yield Problem(path, f'"{name}" is not a configured user')
        if did.number in users:
            yield Problem(("dids", index, "number"),
                          f'number "{did.number}" is also an extension')


def flow_references(flow: Mapping[str, Any], users: set[str],
                    queues: set[str]) -> Iterable[Problem]:
    """Queue, extension and mailbox nodes of one (valid) flow name things that exist."""
    nodes = flow.get("nodes")
    if not isinstance(nodes, Mapping):
        return
    for node_name, node in nodes.items():
        if not isinstance(node, Mapping) or node.get("type") not in FLOW_REFERENCES:
            continue
        key, what = FLOW_REFERENCES[node["type"]]
        value = node.get(key)
        known = queues if what == "queue" else users
        if isinstance(value, str) and value not in known:
            label = "queue" if what == "queue" else "user"
            yield Problem(("nodes", node_name, key), f'unknown {label} "{value}"'
                                                     f'{_known(known)}')


def _known(names: set[str]) -> str:
    if not names:
        return " (none configured)"
    if len(names) > 8:
        return ""
    return f" (configured: {', '.join(sorted(names))})"


__all__ = ["FLOW_REFERENCES", "cross_references", "flow_references"]
