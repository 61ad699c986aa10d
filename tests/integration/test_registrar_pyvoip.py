"""pyVoIP, a SIP phone nobody here wrote, registering to a running switch."""

from __future__ import annotations

from pathlib import Path

from tests.integration.pyvoip_phone import pyvoip_phone
from tests.integration.sipp import run_sipp
from tests.integration.switch_process import USERS, SwitchProcess


def test_pyvoip_registers_survives_a_restart_and_unregisters(switch: SwitchProcess,
                                                              tmp_path: Path) -> None:
    from pyVoIP.VoIP import PhoneStatus

    with pyvoip_phone(switch.port, "1002", USERS["1002"]) as phone:
        assert phone.get_status() == PhoneStatus.REGISTERED, switch.log()[-3000:]
        query = {"[$expect_port]": str(phone.sip.myPort)}
        switch.restart()
        result = run_sipp("query_bindings.xml", switch.port, tmp_path, service="1002",
                          user="1002", password=USERS["1002"], substitutions=query)
        assert result.returncode == 0, "pyVoIP's binding lost over a restart\n" + \
            result.explain()
    # phone.stop() unregistered it
    result = run_sipp("query_bindings.xml", switch.port, tmp_path, service="1002",
                      user="1002", password=USERS["1002"], substitutions=query)
    assert result.returncode != 0, "the binding is still there after pyVoIP unregistered"


def test_pyvoip_with_a_wrong_password_is_not_registered(switch: SwitchProcess) -> None:
    from pyVoIP.VoIP import PhoneStatus

    with pyvoip_phone(switch.port, "1003", "wrong", register_timeout=3) as phone:
        assert phone.get_status() != PhoneStatus.REGISTERED
