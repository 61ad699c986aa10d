"""Conference rooms wired into the running switch: each open room is one mix group of the
media engine, legs move in and out of it, beeps are played to the members, and the key
presses and prompt ends of conference legs go to `ConferenceCalls` (the others go on to
the listener that was there before)."""

from __future__ import annotations

import logging
from typing import Any

from softswitch.call.conference import (
    BEEP,
    Beep,
    CloseRoom,
    ConferenceRooms,
    JoinRoom,
    LeaveRoom,
    OpenRoom,
)
from softswitch.call.conference_calls import ConferenceCalls
from softswitch.clock import Clock
from softswitch.runtime.media_edge import MediaEdge, MediaListener
from softswitch.runtime.sip_driver import SipDriver

log = logging.getLogger(__name__)


class ConferenceEdge:
    def __init__(self, calls: ConferenceCalls, *, driver: SipDriver, media: MediaEdge,
                 clock: Clock) -> None:
        self.calls = calls
        self._driver = driver
        self._media = media
        self._clock = clock
        #: room number -> the engine's mix group
        self.groups: dict[str, int] = {}
        self._next_listener: MediaListener | None = media.listener
        media.listener = self
        driver.add_handler(OpenRoom, self._open)
        driver.add_handler(CloseRoom, self._close)
        driver.add_handler(JoinRoom, self._join)
        driver.add_handler(LeaveRoom, self._leave)
        driver.add_handler(Beep, self._beep)

    # -- the media listener --------------------------------------------------------------

    def on_digit(self, leg: int, digit: str) -> None:
        if self.calls.owns_leg(leg):
            self._driver.run_actions(self.calls.digit(  # type: ignore[arg-type]
                leg, digit, self._clock.now()))
        elif self._next_listener is not None:
            self._next_listener.on_digit(leg, digit)

    def on_prompt_finished(self, leg: int) -> None:
        if self.calls.owns_leg(leg):
            self._driver.run_actions(self.calls.prompt_finished(  # type: ignore[arg-type]
                leg, self._clock.now()))
        elif self._next_listener is not None:
            self._next_listener.on_prompt_finished(leg)

    # -- the actions ---------------------------------------------------------------------

    def _open(self, action: OpenRoom, now: float) -> None:
        self.groups[action.room] = self._media.engine.conference()

    def _close(self, action: CloseRoom, now: float) -> None:
        self.groups.pop(action.room, None)  # the engine drops a mix when its last leaves

    def _join(self, action: JoinRoom, now: float) -> None:
        group = self.groups.get(action.room)
        if group is None:
            group = self.groups[action.room] = self._media.engine.conference()
        self._media.stop_prompts(action.leg)
        self._media.join_mix(action.leg, group)

    def _leave(self, action: LeaveRoom, now: float) -> None:
        self._media.leave_mix(action.leg)

    def _beep(self, action: Beep, now: float) -> None:
        if not self._media.engine.has_prompt(BEEP):
            return
        for leg in action.legs:
            self._media.play_prompts(leg, (BEEP,))


def start_conference(switch: Any, clock: Clock) -> ConferenceEdge | None:
    """Wire the rooms into a started `runtime.app.Switch` (its driver, media and B2BUA
    exist); None when calls are not running or no room is configured."""
    driver: SipDriver | None = getattr(switch, "driver", None)
    media: MediaEdge | None = getattr(switch, "media", None)
    if driver is None or media is None or driver.core.b2bua is None:
        return None
    config = switch.config.conference
    if not config.rooms:
        return None
    b2bua = driver.core.b2bua
    local: dict[str, tuple[str, int]] = {}
    for bound in getattr(switch, "bound", []):
        host = "127.0.0.1" if bound.host in ("0.0.0.0", "", "::") else bound.host
        local.setdefault(bound.transport.lower(), (host, bound.port))
    calls = ConferenceCalls(layer=driver.layer, rooms=ConferenceRooms(config.rooms, config.pins),
                            ports=b2bua.ports, local=local, settings=b2bua.settings,
                            has_prompt=media.engine.has_prompt)
    driver.core.rooms = calls
    return ConferenceEdge(calls, driver=driver, media=media, clock=clock)


__all__ = ["ConferenceEdge", "start_conference"]
