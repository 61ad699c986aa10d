"""OPTIONS pings to registered phones, so a dead contact is dropped before its
registration would expire and calls stop ringing it.

Sans-IO. Every `interval` seconds each binding is sent an OPTIONS; any answer at all
(even 404 or 405: something is listening) clears its misses. A ping still unanswered
at the next round is a miss, counted by this module rather than by the transaction's
32 s timer F, so a short interval is honoured; `misses` misses in a row drop the
binding from the location service, with a PersistBindings for the edge to delete it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from softswitch.call.actions import Action, LogEvent, PersistBindings
from softswitch.call.location import Binding, Location, binding_destination, contact_uri
from softswitch.call.registrar import BindingChange, ChangeKind
from softswitch.call.signalling import Signalling
from softswitch.errors import ProtocolError
from softswitch.sip.dialog import new_tag
from softswitch.sip.message import Headers, Request, Response
from softswitch.sip.transaction import TransactionError, TransactionLayer
from softswitch.sip.transaction_events import TransactionId

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (aor, contact)


@dataclass(frozen=True)
class PingPolicy:
    interval: float  # seconds between two rounds
    misses: int = 2  # unanswered rounds in a row that drop a binding

    def __post_init__(self) -> None:
        if self.interval <= 0 or self.misses < 1:
            raise ValueError("a ping interval above 0 and at least one miss are needed")


class ContactPinger:
    def __init__(self, *, layer: TransactionLayer, location: Location,
                 local: dict[str, tuple[str, int]], domain: str, policy: PingPolicy,
                 now: float, tag_factory: Callable[[], str] = new_tag,
                 call_id_factory: Callable[[], str] | None = None) -> None:
        self.layer = layer
        self.location = location
        self.policy = policy
        self._sip = Signalling(layer, local, domain, tag_factory, call_id_factory)
        self._domain = domain
        self._new_call_id = call_id_factory or (lambda: secrets.token_hex(12))
        self._next = now + policy.interval
        self._pending: dict[TransactionId, Key] = {}  # every ping still in the layer
        self._waiting: dict[Key, TransactionId] = {}  # this round's unanswered pings
        self._misses: dict[Key, int] = {}
        #: bindings dropped since start
        self.dropped = 0

    def owns(self, tid: TransactionId) -> bool:
        return tid in self._pending

    def get_timer(self) -> float | None:
        return self._next

    def handle_timer(self, now: float, wall: float) -> list[Action]:
        if now < self._next:
            return []
        self._next = now + self.policy.interval
        out: list[Action] = []
        live: set[Key] = set()
        for aor in self.location.aors():
            for binding in self.location.lookup(aor, wall):
                key = (binding.aor, binding.contact)
                if key in self._waiting:
                    del self._waiting[key]
                    self._misses[key] = self._misses.get(key, 0) + 1
                    if self._misses[key] >= self.policy.misses:
                        out.extend(self._drop(binding, key))
                        continue
                live.add(key)
                self._ping(binding, key, now)
        for gone in set(self._misses) - live:
            del self._misses[gone]
        for gone in set(self._waiting) - live:
            del self._waiting[gone]
        return out

    def _ping(self, binding: Binding, key: Key, now: float) -> None:
        try:
            uri = contact_uri(binding)
        except ProtocolError:
            return
        destination = binding_destination(binding)
        headers = Headers([
            ("Via", self._sip.via(destination)), ("Max-Forwards", "70"),
            ("From", f"<sip:switch@{self._domain}>;tag={self._sip.new_tag()}"),
            ("To", f"<sip:{binding.aor}@{self._domain}>"),
            ("Call-ID", self._new_call_id()), ("CSeq", "1 OPTIONS"),
            ("Contact", self._sip.contact(destination)), ("Accept", "application/sdp")])
        try:
            tid = self.layer.send_request(Request("OPTIONS", uri, headers, b""),
                                          destination, now)
        except TransactionError as error:
            log.debug("no ping to %s: %s", binding.contact, error)
            return
        self._pending[tid] = key
        self._waiting[key] = tid

    def _drop(self, binding: Binding, key: Key) -> list[Action]:
        self._misses.pop(key, None)
        if not self.location.remove(binding):
            return []
        self.dropped += 1
        log.info("%s at %s answered no ping: dropped", binding.aor, binding.contact)
        return [PersistBindings((BindingChange(ChangeKind.REMOVED, binding),)),
                LogEvent("registration.dropped", {
                    "aor": binding.aor, "contact": binding.contact,
                    "misses": self.policy.misses})]

    def on_response(self, tid: TransactionId, response: Response, now: float) -> list[Action]:
        key = self._pending.pop(tid, None) if response.status >= 200 else \
            self._pending.get(tid)
        if key is not None:
            if self._waiting.get(key) == tid:
                del self._waiting[key]
            self._misses.pop(key, None)
        return []

    def on_timeout(self, tid: TransactionId, now: float) -> list[Action]:
        """The layer gave up on a ping: already counted as a miss by the rounds."""
        self._pending.pop(tid, None)
        return []


__all__ = ["ContactPinger", "PingPolicy"]
