"""OPTIONS pings, wired: the sans-IO `ContactPinger` gets the registrar's location and
its own loop timer; what it decides goes out through `SipDriver.run_actions`."""

from __future__ import annotations

import asyncio
from typing import Any

from softswitch.call.keepalive import ContactPinger, PingPolicy
from softswitch.call.registrar import Registrar
from softswitch.call.ua_core import UserAgentCore
from softswitch.clock import Clock
from softswitch.runtime.sip_driver import SipDriver


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


class PingEdge:
    def __init__(self, pinger: ContactPinger, driver: SipDriver, clock: Clock,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.pinger = pinger
        self._driver = driver
        self._clock = clock
        self._loop = loop
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._arm()

    def _arm(self) -> None:
        deadline = self.pinger.get_timer()
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._driver.run_actions(self.pinger.handle_timer(self._clock.now(),
                                                          self._clock.wall()))
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def start_pings(switch: Any, core: UserAgentCore, registrar: Registrar, clock: Clock,
                loop: asyncio.AbstractEventLoop) -> PingEdge | None:
    """None when `[sip] options_ping_interval` is 0 (no pings)."""
    sip = switch.config.sip
    driver = switch.driver
    if sip.options_ping_interval <= 0 or driver is None or not switch.bound:
        return None
    local: dict[str, tuple[str, int]] = {}
    for bound in switch.bound:
        local.setdefault(bound.transport.lower(), (_reachable(bound.host), bound.port))
    pinger = ContactPinger(layer=driver.layer, location=registrar.location, local=local,
                           domain=sip.domain, now=clock.now(),
                           policy=PingPolicy(sip.options_ping_interval,
                                             sip.options_ping_misses))
    core.keepalive = pinger
    edge = PingEdge(pinger, driver, clock, loop)
    edge.start()
    return edge


__all__ = ["PingEdge", "start_pings"]
