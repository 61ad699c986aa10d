"""The switch: the one object that wires every part together, explicitly."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import random
import secrets
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

from softswitch.call.b2bua import B2BUA, CallSettings
from softswitch.call.dialplan import DialPlan
from softswitch.call.location import Binding
from softswitch.call.pickup import PickupGroups
from softswitch.call.registrar import Registrar, RegistrarPolicy
from softswitch.call.subscriptions import SubscriptionService
from softswitch.call.trunk_registration import registrations_for
from softswitch.call.trunks import TrunkRouter
from softswitch.call.ua_core import UserAgentCore
from softswitch.clock import LoopClock
from softswitch.config.model import Config
from softswitch.runtime.call_center import CallCenter, build_call_center_acd
from softswitch.runtime.center_edge import CenterEdge, start_center
from softswitch.runtime.conference_edge import ConferenceEdge, start_conference
from softswitch.runtime.control_edge import CallControl, ControlEdge
from softswitch.runtime.forwarding_edge import start_forwarding
from softswitch.runtime.keepalive_edge import PingEdge, start_pings
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.media_timeout_edge import MediaTimeoutEdge, start_media_timeout
from softswitch.runtime.operator_calls import OperatorCalls, connect_operator_calls
from softswitch.runtime.parking_edge import ParkingEdge, start_parking
from softswitch.runtime.ringback_edge import RingbackEdge
from softswitch.runtime.rtp_ports import BoundPorts
from softswitch.runtime.sip_driver import SipDriver
from softswitch.runtime.supervision_edge import SupervisionEdge, start_supervision
from softswitch.runtime.transport import BoundAddress, TcpListener, open_udp
from softswitch.runtime.voicemail_edge import VoicemailEdge, start_voicemail
from softswitch.sip.auth import DigestAuthenticator
from softswitch.sip.throttle import AuthFailureThrottle, ThrottlePolicy
from softswitch.sip.transaction import TransactionLayer
from softswitch.storage.agents import AgentSessionRepository
from softswitch.storage.database import Database

log = logging.getLogger(__name__)


STATUS_FILE = "status.json"


def _new_tag() -> str:
    return secrets.token_hex(6)


def settings_from_environment(env: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    """Overrides of the [calls] section from the environment:
    SOFTSWITCH_RING_TIMEOUT (seconds), SOFTSWITCH_RTP_PORTS ("low-high"),
    SOFTSWITCH_MEDIA_ADDRESS (the address put in our SDP)."""
    out: dict[str, Any] = {}
    if "SOFTSWITCH_RING_TIMEOUT" in env:
        out["ring_timeout"] = float(env["SOFTSWITCH_RING_TIMEOUT"])
    if "SOFTSWITCH_RTP_PORTS" in env:
        low, _, high = env["SOFTSWITCH_RTP_PORTS"].partition("-")
        out["rtp_ports"] = (int(low), int(high))
    if "SOFTSWITCH_MEDIA_ADDRESS" in env:
        out["media_address"] = env["SOFTSWITCH_MEDIA_ADDRESS"]
    return out


def _reachable(host: str) -> str:
    """A wildcard listener cannot be put in SDP or Contact: loopback stands in."""
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


class Switch:
    def __init__(self, config: Config, data_dir: Path, *, calls: CallSettings | None = None,
                 rtp_ports: tuple[int, int] | None = None) -> None:
        self.config = config
        self.data_dir = data_dir
        # the [calls] section, unless the environment (tests, containers) says otherwise
        env = {"ring_timeout": config.calls.ring_timeout,
               **({"media_address": config.calls.media_address}
                  if config.calls.media_address else {}),
               **settings_from_environment(os.environ)}
        self.calls = calls or CallSettings(
            ringback=config.calls.ringback,
            **{k: v for k, v in env.items() if k in ("ring_timeout", "media_address")})
        self._explicit_media_address = calls is not None or "media_address" in env
        self.rtp_range = rtp_ports or env.get("rtp_ports", config.calls.rtp_ports)
        self.database: Database | None = None
        self.driver: SipDriver | None = None
        self.media: MediaEdge | None = None
        self.ports: BoundPorts | None = None
        self.bound: list[BoundAddress] = []
        self._status_writes = 0
        #: extension -> password; edited in place by config.reload
        self.passwords: dict[str, str] = {}
        self.call_center: CallCenter | None = None
        self.control: ControlEdge | None = None
        self.center_edge: CenterEdge | None = None
        #: OPTIONS pings to registered phones ([sip] options_ping_interval)
        self.pings: PingEdge | None = None
        #: ad-hoc conference rooms ([conference] rooms)
        self.rooms: ConferenceEdge | None = None
        #: call parking ([parking] slots and timeout, the park feature code)
        self.parking: ParkingEdge | None = None
        #: the switch's ringback tone ([calls] ringback = "switch")
        self.ringback: RingbackEdge | None = None
        self.voicemail: VoicemailEdge | None = None
        #: supervisors on agents' calls and queue recordings
        self.supervision: SupervisionEdge | None = None
        #: the control socket's calls commands (list, hang up, originate)
        self.operator_calls: OperatorCalls | None = None
        self.call_control: CallControl | None = None
        #: calls whose phone went silent are ended ([calls] media_timeout)
        self.media_timeout: MediaTimeoutEdge | None = None

    async def start(self) -> None:
        config = self.config
        loop = asyncio.get_running_loop()
        clock = LoopClock(loop)
        db_path = config.storage.path_in(self.data_dir)
        self.database = db = await Database.open(db_path, binding_factory=Binding)
        self.passwords = passwords = {user.extension: user.password for user in config.users}
        sip = config.sip
        registrar = Registrar(RegistrarPolicy(
            min_expires=sip.min_expires, max_expires=sip.max_expires,
            default_expires=sip.default_expires, max_contacts=sip.max_contacts))
        restored = registrar.load(await db.bindings.load_bindings(), clock.wall())
        db.bindings.delete_expired(clock.wall())
        security = config.security
        core = UserAgentCore(
            registrar=registrar,
            authenticator=DigestAuthenticator(
                realm=sip.domain, key=os.urandom(32), password_for=passwords.get,
                nonce_lifetime=sip.nonce_lifetime,
                algorithms=sip.auth_algorithms),
            throttle=AuthFailureThrottle(ThrottlePolicy(
                max_failures=security.auth_failures, window=security.auth_window,
                first_block=max(security.block_seconds, 1.0),
                max_block=max(security.block_seconds * 60, 3600.0))),
            user_agent=sip.user_agent, tag_factory=_new_tag)
        layer = TransactionLayer()
        self.driver = driver = SipDriver(loop=loop, clock=clock, layer=layer,
                                         core=core, database=db)
        conn_ids = itertools.count(1)
        try:
            for spec in sip.listen:
                if spec.transport == "udp":
                    endpoint = await open_udp(spec.host, spec.port, driver.on_datagram)
                    driver.udp.append(endpoint)
                    assert endpoint.bound is not None
                    self.bound.append(endpoint.bound)
                else:
                    listener = TcpListener(conn_ids, driver.on_tcp_message,
                                           driver.on_tcp_garbage, driver.on_tcp_closed)
                    await listener.start(spec.host, spec.port)
                    driver.tcp.append(listener)
                    assert listener.bound is not None
                    self.bound.append(listener.bound)
        except OSError:
            await self.stop()
            raise
        self._start_calls(loop, clock, core, layer, registrar, passwords)
        loop.add_signal_handler(signal.SIGUSR1, self.write_status)
        self.call_center = CallCenter(build_call_center_acd(config, random.Random()),
                                      db.events, clock, loop)
        await self.call_center.restore(AgentSessionRepository(db.conn, db.writer))
        self.center_edge = start_center(self, loop, clock, registrar)
        await start_forwarding(self, core, db, clock)
        self.pings = start_pings(self, core, registrar, clock, loop)
        self.rooms = start_conference(self, clock)
        self.parking = start_parking(self, loop, clock)
        self.voicemail = await start_voicemail(self, loop, clock)
        self.supervision = start_supervision(self, loop, clock)  # after voicemail
        self.operator_calls = connect_operator_calls(
            self, loop, clock, lambda aor: registrar.lookup(aor, clock.wall()))
        self.call_control = self.operator_calls
        self.media_timeout = start_media_timeout(self, clock, loop)
        self.control = ControlEdge(self, clock)
        try:
            await self.control.start()
        except OSError as error:  # calls go on; only the operators' socket is missing
            log.error("no control socket at %s: %s", self.control.path, error)
            self.control = None
        db.events.append("switch.started", ts=clock.wall(),
                         listen=[f"{b.transport}:{b.host}:{b.port}" for b in self.bound],
                         registrations_restored=len(restored))
        log.info("restored %d registrations", len(restored))

    def _start_calls(self, loop: asyncio.AbstractEventLoop, clock: LoopClock,
                     core: UserAgentCore, layer: TransactionLayer, registrar: Registrar,
                     passwords: dict[str, str]) -> None:
        local: dict[str, tuple[str, int]] = {}
        for bound in self.bound:
            local.setdefault(bound.transport.lower(), (_reachable(bound.host), bound.port))
        settings = self.calls
        if not self._explicit_media_address and self.bound:
            settings = replace(settings, media_address=_reachable(self.bound[0].host))
        self.calls = settings
        self.ports = ports = BoundPorts(settings.media_address, *self.rtp_range)
        assert self.driver is not None
        self.media = self.driver.media = MediaEdge(loop, clock, ports)
        self.ringback = RingbackEdge(self.driver, self.media)
        core.b2bua = B2BUA(
            layer=layer, dial_plan=DialPlan.for_extensions(passwords),
            lookup=lambda aor: registrar.lookup(aor, clock.wall()), ports=ports,
            local=local, domain=self.config.sip.domain, settings=settings)
        core.b2bua.pickup = PickupGroups.of_users(
            ((user.extension, user.pickup_group) for user in self.config.users),
            self.config.features.table())
        core.trunks = TrunkRouter(self.config.trunks, self.config.dids)
        core.registrations = registrations_for(layer, self.config.trunks, local, clock.now())
        self.driver.wake()
        core.subscriptions = SubscriptionService.for_switch(
            layer=layer, local=local, domain=self.config.sip.domain,
            watchable=passwords.__contains__)

    def counters(self) -> dict[str, int]:
        """What a leak check looks at: all of it must return to zero when calls end."""
        driver = self.driver
        b2bua = driver.core.b2bua if driver is not None else None
        try:
            tasks = len(asyncio.all_tasks())
        except RuntimeError:
            tasks = 0
        return {
            "calls": len(b2bua.calls) if b2bua else 0,
            "legs": b2bua.live_legs if b2bua else 0,
            "dialogs": b2bua.dialogs if b2bua else 0,
            "transactions": len(driver.layer) if driver is not None else 0,
            "rtp_ports_in_use": self.ports.in_use if self.ports is not None else 0,
            "media_legs": self.media.legs if self.media is not None else 0,
            "media_channels": self.media.engine.channels if self.media is not None else 0,
            "asyncio_tasks": tasks,
            "call_records": driver.records if driver is not None else 0,
        }

    def write_status(self) -> None:
        """On SIGUSR1: the counters, as JSON, in the data directory (written atomically)."""
        self._status_writes += 1
        status: dict[str, Any] = {"seq": self._status_writes, "counters": self.counters()}
        if self.media is not None:
            status["media_lateness"] = self.media.lateness()
        path = self.data_dir / STATUS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status))
        tmp.replace(path)

    async def stop(self) -> None:
        try:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR1)
        except (RuntimeError, ValueError):
            pass
        if self.media is not None:
            self.media.stop()
        if self.ports is not None:
            self.ports.close()
        if self.control is not None:
            await self.control.stop()
            self.control = None
        if self.center_edge is not None:
            self.center_edge.stop()
        if self.pings is not None:
            self.pings.stop()
        if self.media_timeout is not None:
            self.media_timeout.stop()
        if self.parking is not None:
            self.parking.stop()
        if self.voicemail is not None:
            self.voicemail.stop()
        if self.supervision is not None:
            self.supervision.stop()
        if self.operator_calls is not None:
            self.operator_calls.stop()
        if self.call_center is not None:
            self.call_center.close()
        driver = self.driver
        if driver is not None:
            driver.close()
            for endpoint in driver.udp:
                endpoint.close()
            for listener in driver.tcp:
                await listener.close()
        if self.database is not None:
            self.database.events.append("switch.stopped", ts=LoopClock().wall())
            await self.database.close()
            self.database = None
