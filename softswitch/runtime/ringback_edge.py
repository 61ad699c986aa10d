"""The switch's ringback in the media engine: the B2BUA's Ringback actions start the
looped tone on a caller's channel and stop it when the channel is bridged. Played on the
engine directly (not as an IVR prompt) so the leg gets no digit detector and its call
keeps the relay fast path once bridged."""

from __future__ import annotations

import logging

from softswitch.call.ringback import RINGBACK_PROMPT, Ringback
from softswitch.media.engine import MediaError
from softswitch.media.prompts import PromptError, prompts_dir, read_prompt
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.sip_driver import SipDriver

log = logging.getLogger(__name__)


class RingbackEdge:
    def __init__(self, driver: SipDriver, media: MediaEdge) -> None:
        self._media = media
        #: tones started (for the status counters and tests)
        self.started = 0
        driver.add_handler(Ringback, self._ringback)

    def _loaded(self) -> bool:
        engine = self._media.engine
        if engine.has_prompt(RINGBACK_PROMPT):
            return True
        try:
            engine.add_prompt(RINGBACK_PROMPT,
                              read_prompt(prompts_dir() / f"{RINGBACK_PROMPT}.wav"))
        except (PromptError, MediaError) as error:
            log.warning("no ringback tone: %s", error)
            return False
        return True

    def _ringback(self, action: Ringback, now: float) -> None:
        channel = self._media.channel_of(action.leg)
        if channel is None:
            return
        engine = self._media.engine
        if not action.on:
            engine.stop_playback(channel)
        elif self._loaded():
            engine.play(channel, RINGBACK_PROMPT, loop=True)
            self.started += 1
