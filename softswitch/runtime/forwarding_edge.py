"""Forwarding and do-not-disturb, wired: the configured rules, overlaid with what the
phones last set (kept in SQLite), given to the B2BUA; the forwarding feature codes
(*72 NUMBER, *73, *78, *79) answered by the switch's own calls."""

from __future__ import annotations

from typing import Any

from softswitch.call.center_route import FeatureCall
from softswitch.call.forwarding import Forwarding, ForwardRules, forwarding_codes
from softswitch.call.ua_core import UserAgentCore
from softswitch.clock import Clock
from softswitch.config.forwarding import forwarding_rules
from softswitch.storage.database import Database
from softswitch.storage.forwarding import ForwardingRepository, StoredForwarding


async def start_forwarding(switch: Any, core: UserAgentCore, database: Database,
                           clock: Clock) -> Forwarding:
    """The rules in force from now on; every change from a phone is written behind and
    logged."""
    config = switch.config
    repository = ForwardingRepository(database.conn, database.writer)
    forwarding = Forwarding(forwarding_rules(config.users))
    forwarding.restore((row.extension, ForwardRules(row.forward_always, row.forward_busy,
                                                    row.forward_no_answer, row.dnd))
                       for row in await repository.load())

    def changed(extension: str, rules: ForwardRules) -> None:
        wall = clock.wall()
        repository.save(StoredForwarding(extension, rules.always, rules.busy,
                                         rules.no_answer, rules.dnd, wall))
        database.events.append("forwarding.changed", ts=wall, extension=extension,
                               forward_always=rules.always, forward_busy=rules.busy,
                               forward_no_answer=rules.no_answer, dnd=rules.dnd)

    forwarding.on_change = changed
    if core.b2bua is not None:
        core.b2bua.forwarding = forwarding
    if core.center is not None:
        core.center.route = forwarding_codes(  # type: ignore[assignment]
            core.center.route, config.features.table(), forwarding,
            known=lambda number: config.user(number) is not None, feature_call=FeatureCall)
    return forwarding


__all__ = ["start_forwarding"]
