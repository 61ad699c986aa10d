"""The switch: the one object that wires every part together, explicitly."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
from pathlib import Path

from softswitch.call.location import Binding
from softswitch.call.registrar import Registrar, RegistrarPolicy
from softswitch.call.ua_core import UserAgentCore
from softswitch.clock import LoopClock
from softswitch.config.model import Config
from softswitch.runtime.sip_driver import SipDriver
from softswitch.runtime.transport import BoundAddress, TcpListener, open_udp
from softswitch.sip.auth import DigestAuthenticator
from softswitch.sip.throttle import AuthFailureThrottle, ThrottlePolicy
from softswitch.sip.transaction import TransactionLayer
from softswitch.storage.database import Database

log = logging.getLogger(__name__)


def _new_tag() -> str:
    return secrets.token_hex(6)


class Switch:
    def __init__(self, config: Config, data_dir: Path) -> None:
        self.config = config
        self.data_dir = data_dir
        self.database: Database | None = None
        self.driver: SipDriver | None = None
        self.bound: list[BoundAddress] = []

    async def start(self) -> None:
        config = self.config
        loop = asyncio.get_running_loop()
        clock = LoopClock(loop)
        db_path = config.storage.path_in(self.data_dir)
        self.database = db = await Database.open(db_path, binding_factory=Binding)
        passwords = {user.extension: user.password for user in config.users}
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
        self.driver = driver = SipDriver(loop=loop, clock=clock, layer=TransactionLayer(),
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
                                           driver.on_tcp_garbage)
                    await listener.start(spec.host, spec.port)
                    driver.tcp.append(listener)
                    assert listener.bound is not None
                    self.bound.append(listener.bound)
        except OSError:
            await self.stop()
            raise
        db.events.append("switch.started", ts=clock.wall(),
                         listen=[f"{b.transport}:{b.host}:{b.port}" for b in self.bound],
                         registrations_restored=len(restored))
        log.info("restored %d registrations", len(restored))

    async def stop(self) -> None:
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
