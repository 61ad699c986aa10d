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
def baresip_switch(tmp_path: Path, extra: str = MD5_ONLY, *,
                   mailboxes: dict[str, str] | None = None,
                   ring_timeout: float = 30.0) -> Iterator[SwitchProcess]:
    """A `softswitch serve` with its own RTP port range (20000-29999, away from the
    phones' 40000-58099); `mailboxes` gives extensions voicemail, with their PINs."""
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    config = data / "softswitch.toml"
    write_config(config, port, extra=extra)
    text = config.read_text()
    for extension, pin in (mailboxes or {}).items():
        user = f'extension = "{extension}"\n'
        assert text.count(user) == 1
        text = text.replace(user, f'{user}voicemail = true\nvoicemail_pin = "{pin}"\n')
    config.write_text(text)
    low = 20000 + 2 * random.randrange(0, 4500)
    settings = {"SOFTSWITCH_RTP_PORTS": f"{low}-{low + 999}",
                "SOFTSWITCH_RING_TIMEOUT": str(ring_timeout)}
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    proc = SwitchProcess(data, port)
    try:
        proc.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield proc
        assert proc.alive(), f"the switch died during the test:\n{proc.log()}"
    finally:
        proc.stop()
