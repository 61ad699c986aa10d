"""The RTP inactivity timeout, wired: one loop timer, armed for the moment the quietest
leg could time out, reads the media edge's last-packet times and asks the leg's owner
(the B2BUA, then the switch's own calls) to end the call. Nothing polls per packet or
per tick: a leg that keeps sending only moves its time forward."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from softswitch.call.media_timeout import MediaWatch
from softswitch.clock import Clock

log = logging.getLogger(__name__)

#: (leg id, now, wall) -> the actions that end its call, [] to let it be, None: not mine
Owner = Callable[[int, float, float], list[Any] | None]


class MediaTimeoutEdge:
    def __init__(self, watch: MediaWatch, last_heard: Callable[[], dict[int, float]],
                 owners: Sequence[Owner], run: Callable[[list[Any]], None], clock: Clock,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.watch = watch
        self._last_heard = last_heard
        self._owners = owners
        self._run = run
        self._clock = clock
        self._loop = loop
        self._timer: asyncio.TimerHandle | None = None
        #: calls ended for silence since start
        self.ended = 0

    def start(self) -> None:
        self._arm(self._clock.now())

    def _arm(self, now: float) -> None:
        when = self.watch.next_check(self._last_heard())
        # no leg yet: one opened now times out no sooner than a full timeout from now
        self._timer = self._loop.call_at(max(when or now + self.watch.timeout, now),
                                         self._fire)

    def _fire(self) -> None:
        self._timer = None
        now, wall = self._clock.now(), self._clock.wall()
        for leg in self.watch.check(self._last_heard(), now):
            self.watch.excuse(leg, now)  # asked once per timeout, whatever the answer
            for owner in self._owners:
                actions = owner(leg, now, wall)
                if actions is None:
                    continue
                if actions:
                    self.ended += 1
                    log.info("leg %d sent no RTP for %.0f s: call ended", leg,
                             self.watch.timeout)
                    self._run(actions)
                break
        self._arm(self._clock.now())

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def start_media_timeout(switch: Any, clock: Clock,
                        loop: asyncio.AbstractEventLoop) -> MediaTimeoutEdge | None:
    """None when `[calls] media_timeout` is 0 (off) or calls are not running."""
    timeout = switch.config.calls.media_timeout
    driver = switch.driver
    media = switch.media
    if timeout <= 0 or driver is None or media is None or driver.core.b2bua is None:
        return None
    owners: list[Owner] = [driver.core.b2bua.media_timeout]
    if driver.core.center is not None:
        owners.append(driver.core.center.media_timeout)
    edge = MediaTimeoutEdge(MediaWatch(timeout), media.last_heard, owners,
                            driver.run_actions, clock, loop)
    edge.start()
    return edge


__all__ = ["MediaTimeoutEdge", "start_media_timeout"]
