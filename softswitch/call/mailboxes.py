"""Which voice messages each mailbox holds, in memory: what the lamp (MWI) counts and the
order a mailbox is listened to in. The rows themselves live in storage; this index is
loaded from them at start and kept in step by the edge that writes them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol


class StoredMessage(Protocol):
    """What the index needs of a message row (storage's VoicemailMessage fits)."""

    @property
    def id(self) -> int: ...
    @property
    def mailbox(self) -> str: ...
    @property
    def caller(self) -> str: ...
    @property
    def received_at(self) -> float: ...
    @property
    def path(self) -> str: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class MessageEntry:
    id: int
    mailbox: str
    caller: str
    received_at: float
    path: str
    status: str  # "new" or "saved"


class Mailboxes:
    def __init__(self, messages: Iterable[StoredMessage] = ()) -> None:
        self._by_id: dict[int, MessageEntry] = {}
        for message in messages:
            self.add(message)

    def add(self, message: StoredMessage) -> MessageEntry:
        entry = MessageEntry(message.id, message.mailbox, message.caller,
                             message.received_at, message.path, message.status)
        self._by_id[entry.id] = entry
        return entry

    def get(self, message_id: int) -> MessageEntry | None:
        return self._by_id.get(message_id)

    def mark_saved(self, message_id: int) -> MessageEntry | None:
        entry = self._by_id.get(message_id)
        if entry is not None:
            entry = self._by_id[message_id] = replace(entry, status="saved")
        return entry

    def delete(self, message_id: int) -> MessageEntry | None:
        return self._by_id.pop(message_id, None)

    def listing(self, mailbox: str) -> list[MessageEntry]:
        """New before saved, oldest first: the order the owner hears them."""
        return sorted((m for m in self._by_id.values() if m.mailbox == mailbox),
                      key=lambda m: (m.status == "saved", m.received_at, m.id))

    def counts(self, mailbox: str) -> tuple[int, int]:
        """(new, old) for the message-summary lamp."""
        listing = self.listing(mailbox)
        new = sum(1 for m in listing if m.status == "new")
        return new, len(listing) - new


__all__ = ["Mailboxes", "MessageEntry", "StoredMessage"]
