"""A real Switch started in-process on free loopback ports, and a JSON-lines client for
asyncio tests of its control socket."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from softswitch.config import load_config
from softswitch.runtime.app import Switch
from tests.integration.switch_process import free_port, write_config


def short_data_dir() -> Path:
    """Unix socket paths are limited to 108 bytes: keep the data directory short."""
    return Path(tempfile.mkdtemp(prefix="ss-", dir="/tmp"))


@asynccontextmanager
async def running_switch(data_dir: Path | None = None, extra: str = "") \
        -> AsyncIterator[Switch]:
    data_dir = data_dir or short_data_dir()
    path = data_dir / "softswitch.toml"
    if not path.exists():
        write_config(path, free_port(), extra=extra)
    switch = Switch(load_config(path), data_dir)
    await switch.start()
    try:
        yield switch
    finally:
        await switch.stop()


class LineClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._next = 0

    @classmethod
    async def connect(cls, path: Path) -> LineClient:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=2**20)
        return cls(reader, writer)

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read(self, timeout: float = 5.0) -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        assert line, "connection closed"
        message: dict[str, Any] = json.loads(line)
        return message

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        self._next += 1
        await self.send_raw(json.dumps({"id": self._next, "cmd": cmd, **args}).encode()
                            + b"\n")
        while True:
            answer = await self.read()
            if answer.get("id") == self._next and "ok" in answer:
                return answer

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


class LoopSwitch:
    """A Switch on an event loop of the test's main thread; blocking clients (the CLI
    through click's CliRunner) run in a worker thread while the loop serves them."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir or short_data_dir()
        self.loop = asyncio.new_event_loop()
        path = self.data_dir / "softswitch.toml"
        if not path.exists():
            write_config(path, free_port())
        self.switch = Switch(load_config(path), self.data_dir)
        self.run(self.switch.start())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def call(self, function: Any, *args: Any) -> Any:
        """`function(*args)` on the loop's thread, as the switch's own code would run."""
        async def inside() -> Any:
            return function(*args)
        return self.run(inside())

    def blocking(self, function: Any, *args: Any) -> Any:
        """`function(*args)` in a worker thread while the switch keeps serving."""
        return self.run(asyncio.to_thread(function, *args))

    def stop(self) -> None:
        self.run(self.switch.stop())
        self.loop.close()


def invoke(running: LoopSwitch, *args: str) -> Any:
    """`softswitch ARGS --data-dir DATA` through click, against `running`."""
    from click.testing import CliRunner

    from softswitch.cli.main import main

    return running.blocking(CliRunner().invoke, main,
                            [*args, "--data-dir", str(running.data_dir)])
