"""Call parking wired into the running switch: the lot built from `[parking]`, the
parker's announcement end heard from the media edge, and the ring-back timer armed on
the loop."""

from __future__ import annotations

import asyncio
from typing import Any

from softswitch.call.parked_calls import ParkedCalls
from softswitch.call.parking import ParkingLot
from softswitch.clock import Clock
from softswitch.runtime.media_edge import MediaEdge, MediaListener
from softswitch.runtime.sip_driver import SipDriver


class ParkingEdge:
    def __init__(self, parked: ParkedCalls, *, driver: SipDriver, media: MediaEdge,
                 loop: asyncio.AbstractEventLoop, clock: Clock) -> None:
        self.parked = parked
        self._driver = driver
        self._loop = loop
        self._clock = clock
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._next_listener: MediaListener | None = media.listener
        media.listener = self
        parked.on_change = self._arm

    def on_digit(self, leg: int, digit: str) -> None:
        if self._next_listener is not None:
            self._next_listener.on_digit(leg, digit)

    def on_prompt_finished(self, leg: int) -> None:
        if self.parked.announcing(leg):
            self._driver.run_actions(self.parked.prompt_finished(  # type: ignore[arg-type]
                leg, self._clock.now(), self._clock.wall()))
        elif self._next_listener is not None:
            self._next_listener.on_prompt_finished(leg)

    def _arm(self) -> None:
        when = self.parked.get_timer()
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._fire) if when is not None else None

    def _fire(self) -> None:
        self._timer = None
        self._timer_at = None
        self._driver.run_actions(self.parked.handle_timer(  # type: ignore[arg-type]
            self._clock.now(), self._clock.wall()))
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def start_parking(switch: Any, loop: asyncio.AbstractEventLoop,
                  clock: Clock) -> ParkingEdge | None:
    """Hook parking into a started `runtime.app.Switch` (its driver, media and B2BUA
    exist); None when calls are not running."""
    driver: SipDriver | None = getattr(switch, "driver", None)
    media: MediaEdge | None = getattr(switch, "media", None)
    if driver is None or media is None or driver.core.b2bua is None:
        return None
    config = switch.config
    lot = ParkingLot(config.parking.slots, config.parking.timeout, config.features.table())
    parked = ParkedCalls(driver.core.b2bua, lot, has_prompt=media.engine.has_prompt)
    return ParkingEdge(parked, driver=driver, media=media, loop=loop, clock=clock)


__all__ = ["ParkingEdge", "start_parking"]
