"""The switch as baresip 1.0 can use it. Its digest code (libre) gives up on the
whole 401 with ENOSYS as soon as one WWW-Authenticate names an algorithm other than
MD5, instead of answering the one it knows, so the switch offers MD5 alone here
(`[sip] auth_algorithms`, a setting meant for such phones)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.switch_process import SwitchProcess, free_port, write_config

MD5_ONLY = 'auth_algorithms = ["MD5"]'


@contextmanager
def baresip_switch(tmp_path: Path, extra: str = MD5_ONLY) -> Iterator[SwitchProcess]:
    """A `softswitch serve` with its own RTP port range (20000-29999, away from the
    phones' 40000-58099)."""
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    write_config(data / "softswitch.toml", port, extra=extra)
    low = 20000 + 2 * random.randrange(0, 4500)
    saved = os.environ.get("SOFTSWITCH_RTP_PORTS")
    os.environ["SOFTSWITCH_RTP_PORTS"] = f"{low}-{low + 999}"
    proc = SwitchProcess(data, port)
    try:
        proc.start()
    finally:
        if saved is None:
            os.environ.pop("SOFTSWITCH_RTP_PORTS", None)
        else:
            os.environ["SOFTSWITCH_RTP_PORTS"] = saved
    try:
        yield proc
        assert proc.alive(), f"the switch died during the test:\n{proc.log()}"
    finally:
        proc.stop()
