"""Forwarding and do-not-disturb in `[[users]]`: the checks that need every user at
once (a forward must lead to another configured extension), and the rules the call
layer starts from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from softswitch.call.forwarding import ForwardRules
from softswitch.config.schema import Problem

#: the per-user keys naming where calls go
FORWARD_KEYS = ("forward_always", "forward_busy", "forward_no_answer")


def forwards_valid(users: Sequence[Any]) -> Iterable[Problem]:
    """Each forward names another configured extension."""
    extensions = {user.extension for user in users if user is not None}
    for index, user in enumerate(users):
        if user is None:
            continue
        for key in FORWARD_KEYS:
            target = getattr(user, key, None)
            if target is None:
                continue
            if target == user.extension:
                yield Problem((index, key), f"extension {user.extension} cannot forward "
                                            f"to itself")
            elif target not in extensions:
                yield Problem((index, key), f"{target!r} is not the extension of a "
                                            f"configured user")


def forwarding_rules(users: Iterable[Any]) -> dict[str, ForwardRules]:
    """extension -> its configured rules (users with none are left out)."""
    out: dict[str, ForwardRules] = {}
    for user in users:
        rules = ForwardRules(always=user.forward_always or "", busy=user.forward_busy or "",
                             no_answer=user.forward_no_answer or "", dnd=user.dnd)
        if rules != ForwardRules():
            out[user.extension] = rules
    return out


__all__ = ["FORWARD_KEYS", "forwarding_rules", "forwards_valid"]
