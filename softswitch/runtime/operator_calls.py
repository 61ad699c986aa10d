"""The calls commands of the control socket, over the running switch's calls.

`OperatorCalls` is the `CallControl` the control socket asks: it lists the B2BUA's
calls, the switch's own calls and the originations in progress, ends any of them, and
starts a click-to-dial through `call.call_control.Originator`. What the cores return is
carried out through `SipDriver.run_actions`, so it leaves at once; the originator's ring
timeout is the one timer armed here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from softswitch.call.b2bua import B2BUA
from softswitch.call.call_control import OriginateRefused, Originator, call_rows, route_dialled
from softswitch.call.center_calls import CenterCalls
from softswitch.call.location import Binding
from softswitch.clock import Clock
from softswitch.runtime.sip_driver import SipDriver


class OperatorCalls:
    def __init__(self, *, b2bua: B2BUA, center: CenterCalls | None, originator: Originator,
                 driver: SipDriver, clock: Clock, loop: asyncio.AbstractEventLoop,
                 known: Callable[[str], bool]) -> None:
        self.b2bua = b2bua
        self.center = center
        self.originator = originator
        self._driver = driver
        self._clock = clock
        self._loop = loop
        self._known = known
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

    def list_calls(self) -> list[dict[str, Any]]:
        own = self.center.calls.values() if self.center is not None else ()
        return call_rows(self.b2bua.calls.values(), own, self.originator.calls.values())

    def hangup(self, call_id: str) -> bool:
        now, wall = self._clock.now(), self._clock.wall()
        for part in (self.b2bua, self.center, self.originator):
            if part is None:
                continue
            actions = part.hang_up(call_id, now, wall)
            if actions is not None:
                self._driver.run_actions(actions)
                return True
        return False

    def originate(self, from_extension: str, to: str) -> str:
        """ValueError (OriginateRefused) with the reason when it cannot start."""
        if not self._known(from_extension):
            raise OriginateRefused(f"unknown extension {from_extension}")
        route = self.center.route if self.center is not None else None
        target = route_dialled(to, from_extension, route, self.b2bua.dial_plan)
        call_id, actions = self.originator.originate(
            from_extension, to, target, self._clock.now(), self._clock.wall())
        self._driver.run_actions(actions)
        self._arm()
        return call_id

    def _arm(self) -> None:
        when = self.originator.get_timer()
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._on_timer) if when is not None else None

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self._driver.run_actions(self.originator.handle_timer(self._clock.now(),
                                                              self._clock.wall()))
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def connect_operator_calls(switch: Any, loop: asyncio.AbstractEventLoop, clock: Clock,
                           lookup: Callable[[str], list[Binding]]) -> OperatorCalls | None:
    """Build the originator, hook it into the UA core and return the control socket's
    `CallControl`; None when calls are not running."""
    driver = getattr(switch, "driver", None)
    if driver is None or driver.core.b2bua is None:
        return None
    b2bua: B2BUA = driver.core.b2bua
    center: CenterCalls | None = driver.core.center
    adopt = center.adopt if center is not None else None
    if adopt is None:
        return None
    originator = Originator(sip=b2bua.sip, lookup=lookup, ports=b2bua.ports,
                            settings=b2bua.settings, adopt=adopt)
    driver.core.originator = originator
    passwords = switch.passwords
    return OperatorCalls(b2bua=b2bua, center=center, originator=originator, driver=driver,
                         clock=clock, loop=loop, known=passwords.__contains__)
