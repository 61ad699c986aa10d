"""The location service: where each address-of-record can be reached right now.

Bindings are plain dataclasses of str/int/float so the storage layer can persist them
as they are and hand them back through `load` after a restart. Times in a binding are
wall-clock seconds (`Clock.wall()`), because a binding outlives the process that made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from softswitch.errors import ProtocolError
from softswitch.sip.routing import Destination
from softswitch.sip.uri import SipURI, parse_uri, uri_equal
from softswitch.timers import Deadlines


@dataclass(frozen=True)
class Binding:
    """One registered contact of one address-of-record."""

    aor: str  # the user part of the address-of-record ("1001")
    contact: str  # the Contact URI as the phone sent it
    expires_at: float  # wall-clock seconds
    call_id: str
    cseq: int
    registered_at: float  # when this contact first registered (wall-clock seconds)
    refreshed_at: float  # when it last registered (wall-clock seconds)
    source_transport: str  # "UDP", "TCP", "TLS": where the REGISTER really came from,
    source_host: str  # so a phone behind NAT is reached at its public address
    source_port: int  # (route to the source, as Asterisk's force_rport does)
    connection_id: str = ""  # the connection it came on, for TCP/TLS; "" for UDP
    q: float | None = None  # the Contact's q parameter, when it had one
    user_agent: str = ""
    instance: str = ""  # the +sip.instance parameter (RFC 5626), "" when absent

    def remaining(self, now: float) -> int:
        """Whole seconds left, as the 200 OK to a REGISTER reports them."""
        return max(0, int(self.expires_at - now + 0.5))

    @property
    def preference(self) -> float:
        return 1.0 if self.q is None else self.q


def binding_destination(binding: Binding) -> Destination:
    """Where a registered phone is reached: the address its REGISTER really came from
    (so phones behind NAT are reached, as Asterisk's force_rport does)."""
    connection = int(binding.connection_id) if binding.connection_id.isdigit() else None
    return Destination(binding.source_transport.lower(), binding.source_host,
                       binding.source_port, connection)


def contact_uri(binding: Binding) -> SipURI:
    uri = parse_uri(binding.contact)
    if not isinstance(uri, SipURI):
        raise ProtocolError(f"binding contact is not a SIP URI: {binding.contact!r}")
    return uri


class Location:
    """Bindings by address-of-record, with their expiry deadlines."""

    def __init__(self) -> None:
        self._by_aor: dict[str, list[tuple[SipURI, Binding]]] = {}
        self._deadlines: Deadlines[tuple[str, str]] = Deadlines()

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._by_aor.values())

    def aors(self) -> list[str]:
        return list(self._by_aor)

    def lookup(self, aor: str, now: float | None = None) -> list[Binding]:
        """Current bindings, most preferred first (highest q, then most recently refreshed).

        With `now`, bindings already past their expiry are left out even before
        `expire` has run.
        """
        found = [b for _, b in self._by_aor.get(aor, ())
                 if now is None or b.expires_at > now]
        found.sort(key=lambda b: (-b.preference, -b.refreshed_at))
        return found

    def find(self, aor: str, uri: SipURI) -> Binding | None:
        """The binding whose contact is equivalent to `uri` (RFC 3261 §19.1.4)."""
        for existing_uri, binding in self._by_aor.get(aor, ()):
            if uri_equal(existing_uri, uri):
                return binding
        return None

    def put(self, binding: Binding, uri: SipURI | None = None) -> None:
        """Add a binding, or replace the one with an equivalent contact."""
        uri = uri or contact_uri(binding)
        entries = self._by_aor.setdefault(binding.aor, [])
        for i, (existing_uri, old) in enumerate(entries):
            if uri_equal(existing_uri, uri):
                self._deadlines.cancel((old.aor, old.contact))
                entries[i] = (uri, binding)
                break
        else:
            entries.append((uri, binding))
        self._deadlines.set((binding.aor, binding.contact), binding.expires_at)

    def remove(self, binding: Binding) -> bool:
        entries = self._by_aor.get(binding.aor)
        if not entries:
            return False
        for i, (_, existing) in enumerate(entries):
            if existing.contact == binding.contact:
                del entries[i]
                self._deadlines.cancel((binding.aor, binding.contact))
                if not entries:
                    del self._by_aor[binding.aor]
                return True
        return False

    def next_expiry(self) -> float | None:
        """When `expire` next has work to do: arm a timer for it."""
        return self._deadlines.next()

    def expire(self, now: float) -> list[Binding]:
        """Drop the bindings whose time is up, and say which."""
        gone: list[Binding] = []
        for aor, contact in self._deadlines.pop_due(now):
            for _, binding in self._by_aor.get(aor, ()):
                if binding.contact == contact:
                    gone.append(binding)
                    self.remove(binding)
                    break
        return gone

    def load(self, bindings: Iterable[Binding], now: float) -> list[Binding]:
        """Restore bindings from storage; those already expired (or unreadable) are skipped.

        Returns the bindings that were loaded.
        """
        loaded: list[Binding] = []
        for binding in bindings:
            if binding.expires_at <= now:
                continue
            try:
                uri = contact_uri(binding)
            except ProtocolError:
                continue
            self.put(binding, uri)
            loaded.append(binding)
        return loaded
