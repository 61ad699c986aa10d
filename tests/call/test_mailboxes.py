"""The mailbox index: counts for the lamp, the listening order, changes."""

from __future__ import annotations

from softswitch.call.mailboxes import Mailboxes, MessageEntry


def entry(id: int, mailbox: str = "1002", status: str = "new", at: float = 0.0) -> MessageEntry:
    return MessageEntry(id, mailbox, "1001", at, f"{id}.wav", status)


def test_counts_and_order_new_first_then_oldest() -> None:
    boxes = Mailboxes([entry(1, at=30), entry(2, status="saved", at=10), entry(3, at=20),
                       entry(4, mailbox="1003")])
    assert boxes.counts("1002") == (2, 1)
    assert [m.id for m in boxes.listing("1002")] == [3, 1, 2]
    assert boxes.counts("1001") == (0, 0)


def test_saving_and_deleting_change_the_counts() -> None:
    boxes = Mailboxes([entry(1), entry(2)])
    assert boxes.mark_saved(1) is not None and boxes.counts("1002") == (1, 1)
    assert boxes.delete(2) is not None and boxes.counts("1002") == (0, 1)
    assert boxes.delete(2) is None and boxes.mark_saved(9) is None
