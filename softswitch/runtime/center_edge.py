"""The call center over real calls, wired: the switch's own calls (`CenterCalls`) get the
live ACD, the media engine's prompts and key presses, and a watchdog that keeps agent
state honest against the SIP dialogs that really exist.

Everything that reaches the core from outside a SIP input (the ACD's timer, a prompt
ending, a key press) goes through `SipDriver.run_actions`, so what it sends leaves at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from softswitch.acd.effects import (
    Bridge,
    DialCallback,
    Overflow,
    PauseAgent,
    PlayAnnouncement,
    RingAgent,
    StartMusic,
    StopRinging,
)
from softswitch.call.b2bua import CallSettings
from softswitch.call.center_calls import CenterCalls
from softswitch.call.center_route import route_number
from softswitch.call.location import Binding
from softswitch.call.ports import PortPool
from softswitch.call.trunks import TrunkRouter, carrier_binding
from softswitch.clock import Clock
from softswitch.config.model import Config
from softswitch.ivr.demo import DEMO_FLOW
from softswitch.media.prompts import PromptError, PromptLibrary
from softswitch.runtime.call_center import CallCenter
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.sip_driver import SipDriver
from softswitch.sip.transaction import TransactionLayer

log = logging.getLogger(__name__)

#: seconds between two watchdog passes over the agents
WATCHDOG_EVERY = 5.0


def build_center_calls(config: Config, *, layer: TransactionLayer,
                       lookup: Callable[[str], list[Binding]], ports: PortPool,
                       local: dict[str, tuple[str, int]], settings: CallSettings,
                       prompts: set[str], center: CallCenter) -> CenterCalls:
    """The switch's own calls from the configuration: DIDs, flows, queue music."""
    acd = center.acd

    def agent_at(extension: str) -> str | None:
        return next((a.id for a in acd.agents.values() if a.extension == extension), None)

    def queues_of(agent: str) -> list[str]:
        return sorted(q for q, tiers in acd.matcher.tiers.items() if agent in tiers)

    dids = {d.number: d.destination for d in config.dids}
    flows = dict(config.ivr.flows) or {"main": DEMO_FLOW}
    route = route_number(dids, config.features.table(), agent_at, queues_of,
                         config.supervises)
    calls = CenterCalls(layer=layer, route=route, lookup=lookup, ports=ports, local=local,
                        domain=config.sip.domain, settings=settings, prompts=prompts,
                        flows=flows, music={q.name: q.music for q in config.queues})
    calls.center = center
    return calls


class CenterEdge:
    """The asyncio side of `CenterCalls`: the ACD's effects, the media listener, the
    watchdog timer."""

    def __init__(self, calls: CenterCalls, center: CallCenter, driver: SipDriver,
                 media: MediaEdge, clock: Clock, loop: asyncio.AbstractEventLoop) -> None:
        self.calls = calls
        self.center = center
        self._driver = driver
        self._media = media
        self._clock = clock
        self._loop = loop
        self._watchdog: asyncio.TimerHandle | None = None
        self._flush_pending = False
        center.connect_calls(self)
        media.listener = self

    def start(self) -> None:
        self._watchdog = self._loop.call_later(WATCHDOG_EVERY, self._watch)

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    # the ACD's effects: into the core, then sent soon (never from inside the ACD)

    def _soon(self) -> None:
        if not self._flush_pending:
            self._flush_pending = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        self._driver.run_actions(self.calls.take())  # type: ignore[arg-type]

    def ring_agent(self, effect: RingAgent) -> None:
        self.calls.ring_agent(effect)
        self._soon()

    def stop_ringing(self, effect: StopRinging) -> None:
        self.calls.stop_ringing(effect)
        self._soon()

    def bridge(self, effect: Bridge) -> None:
        self.calls.bridge(effect)
        self._soon()

    def play(self, effect: PlayAnnouncement) -> None:
        self.calls.play(effect)
        self._soon()

    def start_music(self, effect: StartMusic) -> None:
        self.calls.start_music(effect)
        self._soon()

    def overflow(self, effect: Overflow) -> None:
        self.calls.overflow(effect)
        self._soon()

    def dial_callback(self, effect: DialCallback) -> None:
        self.calls.dial_callback(effect)
        self._soon()

    def agent_paused(self, effect: PauseAgent) -> None:
        self.calls.agent_paused(effect)

    # the media listener

    def on_digit(self, leg: int, digit: str) -> None:
        self._driver.run_actions(self.calls.digit(  # type: ignore[arg-type]
            leg, digit, self._clock.now(), self._clock.wall()))

    def on_prompt_finished(self, leg: int) -> None:
        self._driver.run_actions(self.calls.prompt_finished(  # type: ignore[arg-type]
            leg, self._clock.now(), self._clock.wall()))

    # the watchdog

    def _watch(self) -> None:
        self._watchdog = self._loop.call_later(WATCHDOG_EVERY, self._watch)
        self.reconcile()

    def reconcile(self) -> None:
        """Every agent the ACD thinks busy must have a live leg here, else it is freed."""
        live = self.calls.live_agent_calls()
        busy = [a.id for a in self.center.acd.agents.values() if a.call_id is not None]
        for agent_id in busy:
            self.center.reconcile(agent_id, agent_id in live)


def carrier_for(router: TrunkRouter | None) -> Callable[[str], Binding | None]:
    """A callback's number -> the carrier of the first trunk whose dial pattern takes it
    (the switch itself places callbacks, so no user's trunk permissions apply)."""

    def carrier(number: str) -> Binding | None:
        for trunk in router.trunks if router is not None else ():
            pattern = next((p for p in trunk.patterns if p.match(number)), None)
            if pattern is not None:
                strip = pattern.strip or (trunk.strip if pattern.text.startswith("^") else 0)
                return carrier_binding(trunk, trunk.prefix + number[strip:])
        return None
    return carrier


def load_prompts(media: MediaEdge) -> set[str]:
    """Every prompt the switch ships, into the engine; their names."""
    try:
        library = PromptLibrary()
    except PromptError as error:
        log.warning("no prompts: %s", error)
        return set()
    library.install(media.engine)
    return set(library)


__all__ = ["WATCHDOG_EVERY", "CenterEdge", "build_center_calls", "carrier_for", "load_prompts",
           "start_center"]


def start_center(switch: object, loop: asyncio.AbstractEventLoop, clock: Clock,
                 registrar: object) -> CenterEdge | None:
    """Wire the switch's own calls into a started `runtime.app.Switch` (its driver, media,
    B2BUA and call center exist); None when calls are not running."""
    driver = getattr(switch, "driver", None)
    media = getattr(switch, "media", None)
    center = getattr(switch, "call_center", None)
    if driver is None or media is None or center is None or driver.core.b2bua is None:
        return None
    b2bua = driver.core.b2bua
    local: dict[str, tuple[str, int]] = {}
    for bound in getattr(switch, "bound", []):
        host = "127.0.0.1" if bound.host in ("0.0.0.0", "", "::") else bound.host
        local.setdefault(bound.transport.lower(), (host, bound.port))
    calls = build_center_calls(
        switch.config,  # type: ignore[attr-defined]
        layer=driver.layer,
        lookup=lambda aor: registrar.lookup(aor, clock.wall()),  # type: ignore[attr-defined]
        ports=b2bua.ports, local=local, settings=b2bua.settings,
        prompts=load_prompts(media), center=center)
    calls.outbound = carrier_for(getattr(driver.core, "trunks", None))
    driver.core.center = calls
    edge = CenterEdge(calls, center, driver, media, clock, loop)
    edge.start()
    return edge
