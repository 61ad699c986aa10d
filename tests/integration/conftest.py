from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.switch_process import SwitchProcess, free_port, write_config


@pytest.fixture
def switch(tmp_path: Path) -> Iterator[SwitchProcess]:
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    write_config(data / "softswitch.toml", port)
    proc = SwitchProcess(data, port)
    proc.start()
    yield proc
    alive = proc.alive()
    proc.stop()
    assert alive, f"the switch died during the test:\n{proc.log()}"
