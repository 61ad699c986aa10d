"""Helpers for the PBX feature tests (pickup, parking, conference rooms): a switch with
extra users' settings, and a SIPp dialler that either waits for the switch's BYE or
hangs up itself."""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.sipp import SippResult, run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port, write_config

WAIT_BYE = """<recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>"""

SEND_BYE = """<pause/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:USER@pbx.test>;tag=[pid]dialler[call_number]
      To: <sip:[service]@pbx.test>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>"""


@contextmanager
def pbx_switch(tmp_path: Path, *, extra: str = "",
               user_settings: dict[str, str] | None = None,
               ring_timeout: float = 30.0) -> Iterator[SwitchProcess]:
    """A `softswitch serve` whose users get `user_settings` (extension -> TOML lines)."""
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    path = data / "softswitch.toml"
    write_config(path, port, extra=extra)
    text = path.read_text()
    for extension, lines in (user_settings or {}).items():
        text = re.sub(rf'(extension = "{extension}"\n)', rf"\g<1>{lines}\n", text)
    path.write_text(text)
    low = 20000 + 2 * random.randrange(0, 4500)
    saved = {k: os.environ.get(k) for k in ("SOFTSWITCH_RING_TIMEOUT", "SOFTSWITCH_RTP_PORTS")}
    os.environ["SOFTSWITCH_RING_TIMEOUT"] = str(ring_timeout)
    os.environ["SOFTSWITCH_RTP_PORTS"] = f"{low}-{low + 999}"
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


def dial(switch: SwitchProcess, work: Path, user: str, number: str, *,
         hang_up_after_ms: int | None = None, timeout: float = 30,
         extra: tuple[str, ...] = ()) -> SippResult:
    """`user` dials `number`, echoes the audio it gets (-rtp_echo) and plays some; it
    waits for the switch's BYE, or sends its own after `hang_up_after_ms`."""
    ending = WAIT_BYE if hang_up_after_ms is None else SEND_BYE
    duration = ("-d", str(hang_up_after_ms)) if hang_up_after_ms is not None else ()
    return run_sipp("pbx_dial_and_wait_bye.xml", switch.port, work, service=number,
                    user=user, password=USERS[user], timeout=timeout,
                    substitutions={"ENDING": ending.replace("USER", user), "USER": user},
                    extra=("-mp", str(free_port()), "-rtp_echo", *duration, *extra))
