"""What the transaction layer tells its user, and what it asks the edge to send.

Frozen dataclasses, as h11's events: the transaction user (the UA core, the B2BUA) reads
them with `TransactionLayer.next_event()`; the edge reads `Outgoing` with `next_send()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from softswitch.sip.message import Request, Response
from softswitch.sip.routing import Destination, Source

#: a transaction's identity for the TU; unique within one TransactionLayer
TransactionId = int


@dataclass(frozen=True)
class RequestReceived:
    """A new request: the TU must answer it with `respond(tid, ...)`."""

    tid: TransactionId
    request: Request
    source: Source


@dataclass(frozen=True)
class AckReceived:
    """An ACK for a 2xx: outside every transaction (§17.1.1.3), it belongs to the dialog."""

    request: Request
    source: Source


@dataclass(frozen=True)
class CancelReceived:
    """The layer answered the CANCEL with 200; the TU must answer the INVITE `tid` (487)."""

    tid: TransactionId
    request: Request


@dataclass(frozen=True)
class ResponseReceived:
    """A response for the client transaction `tid` that the TU must see."""

    tid: TransactionId
    response: Response


@dataclass(frozen=True)
class StrayResponse:
    """A 2xx to an INVITE whose transaction has ended: a retransmission for the UAC core."""

    response: Response


@dataclass(frozen=True)
class TransactionTimeout:
    """No answer came: timer B, F or H fired, the §9.1 guard after a CANCEL, the
    connection of a client transaction was lost, or (timer L) the ACK for our 2xx never
    came, in which case the TU should end the dialog with a BYE (§13.3.1.4)."""

    tid: TransactionId


@dataclass(frozen=True)
class TransactionTerminated:
    """The transaction is gone; its id will not be used again."""

    tid: TransactionId


TransactionEvent = (
    RequestReceived | AckReceived | CancelReceived | ResponseReceived | StrayResponse
    | TransactionTimeout | TransactionTerminated
)


@dataclass(frozen=True)
class Outgoing:
    """Bytes the edge must send to `destination`."""

    data: bytes
    destination: Destination
