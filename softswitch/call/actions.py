"""What the call cores ask the edge to do: frozen values, carried out in order.

SIP messages go out through the transaction layer the cores are given; everything else
that touches the world (storage, the event log, RTP sockets and the media engine) is an
action here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from softswitch.call.cdr import CallRecord
from softswitch.call.registrar import BindingChange
from softswitch.call.ringback import Ringback
from softswitch.sip.message import Response
from softswitch.sip.transaction_events import TransactionId


@dataclass(frozen=True)
class Respond:
    tid: TransactionId
    response: Response


@dataclass(frozen=True)
class PersistBindings:
    changes: tuple[BindingChange, ...]


@dataclass(frozen=True)
class LogEvent:
    kind: str
    fields: dict[str, object] = field(default_factory=dict)
    call_id: str | None = None


@dataclass(frozen=True)
class MediaParams:
    """What one leg's RTP session sends and expects, from its negotiated SDP."""

    codec: str  # the codec registry's name: "PCMU", "PCMA"
    payload_type: int
    telephone_event_pt: int | None
    remote: tuple[str, int] | None  # where to send until the first packet latches


@dataclass(frozen=True)
class OpenMedia:
    leg: int
    port: int
    params: MediaParams


@dataclass(frozen=True)
class UpdateMedia:
    """A re-INVITE or UPDATE changed where or how a leg's media goes."""

    leg: int
    params: MediaParams


@dataclass(frozen=True)
class BridgeMedia:
    a: int
    b: int


@dataclass(frozen=True)
class HoldMedia:
    """`leg` put the call on hold (`on`) or resumed it: `other` hears music meanwhile."""

    leg: int
    other: int
    on: bool


@dataclass(frozen=True)
class CloseMedia:
    leg: int


@dataclass(frozen=True)
class WriteCallRecord:
    """The call's CDR; the edge adds each leg's RTP quality from its closed session."""

    record: CallRecord


Action = (Respond | PersistBindings | LogEvent | OpenMedia | UpdateMedia | BridgeMedia
          | HoldMedia | CloseMedia | WriteCallRecord | Ringback)
