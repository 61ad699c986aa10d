"""pyVoIP as a real SIP phone against the switch, with the quirks PEERS.md lists handled."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.integration.switch_process import free_port


def _patch_call_ids() -> None:
    """pyVoIP numbers Call-IDs from a per-process counter: make them unique per run."""
    import pyVoIP.SIP

    pyVoIP.SIP.SIPClient.gen_call_id = lambda self: uuid.uuid4().hex  # type: ignore[method-assign]


@contextmanager
def pyvoip_phone(switch_port: int, extension: str, password: str, *,
                 on_call: Callable[[Any], None] | None = None,
                 register_timeout: float = 10.0) -> Iterator[Any]:
    import pyVoIP
    from pyVoIP.VoIP import PhoneStatus, VoIPPhone

    pyVoIP.DEBUG = False
    _patch_call_ids()
    rtp_low = free_port()
    phone = VoIPPhone("127.0.0.1", switch_port, extension, password, myIP="127.0.0.1",
                      callCallback=on_call, sipPort=free_port(), rtpPortLow=rtp_low,
                      rtpPortHigh=rtp_low + 40)
    phone.start()
    try:
        deadline = time.monotonic() + register_timeout
        while phone.get_status() != PhoneStatus.REGISTERED and time.monotonic() < deadline:
            time.sleep(0.05)
        yield phone
    finally:
        phone.stop()
