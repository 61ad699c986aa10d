"""The control socket: a Unix socket in the data directory speaking JSON lines.

One coroutine per client reads request lines (bounded, see `protocol.MAX_REQUEST_BYTES`),
checks them against `control.commands.COMMANDS` and answers each on its own line; a bad
line gets an error object and the connection stays usable. `subscribe` starts a feed
task per client that forwards events from a bounded `EventLog` subscription: a client
that stops reading falls behind, loses its subscription and is disconnected; the switch
never waits for it.

The calls commands (`calls.list`, `call.hangup`, `call.originate`) go to the switch's
`call_control` (see `CallControl`); while the call layer has not set one they answer
`{"ok": false, "error": {"code": "unavailable", ...}}`. `recording.pause` and
`recording.resume` go to the switch's `supervision` (queue recordings).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import stat
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from softswitch.acd import UnknownName
from softswitch.acd.effects import Emit
from softswitch.call.dialplan import DialPlan
from softswitch.clock import Clock
from softswitch.config.loader import parse_config
from softswitch.config.model import Config
from softswitch.control import protocol, today
from softswitch.control.commands import check
from softswitch.control.protocol import ControlError, RequestError
from softswitch.control.users_file import (
    UserEditError,
    add_user,
    change_user,
    remove_user,
    write_atomically,
)
from softswitch.errors import ConfigError
from softswitch.runtime.acd_reload import reload_acd
from softswitch.runtime.call_center import CallCenter
from softswitch.runtime.center_edge import build_center_calls
from softswitch.storage.events import Event, SubscriptionClosed

log = logging.getLogger(__name__)

SOCKET_NAME = "control.sock"
#: events buffered per subscriber before it is cut off
SUBSCRIBER_BUFFER = 1000
#: a client whose socket buffer stays full this long is disconnected
WRITE_TIMEOUT = 5.0
#: a subscriber with this much unsent output is too slow: it is disconnected
STREAM_BACKLOG_BYTES = 512 * 1024
_READ_CHUNK = 65536

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class CallControl(Protocol):
    """What the call layer offers the control socket. Set it as `switch.call_control`."""

    def list_calls(self) -> list[dict[str, Any]]:
        """Calls in progress as plain data (call_id, from, to, state, since, ...)."""
        ...

    def hangup(self, call_id: str) -> bool:
        """End the call; False if there is no such call."""
        ...

    def originate(self, from_extension: str, to: str) -> str:
        """Ring `from_extension`, then call `to`; the new call's id. ValueError if refused."""
        ...


class ControlledSwitch(Protocol):
    config: Config
    data_dir: Path
    bound: list[Any]
    database: Any
    driver: Any
    call_center: CallCenter | None


def event_json(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "ts": event.ts, "kind": event.kind, "call_id": event.call_id,
            "queue": event.queue, "agent": event.agent, "data": dict(event.data)}


def _refusal(effects: list[Any]) -> None:
    for effect in effects:
        if isinstance(effect, Emit) and effect.kind == "agent.refused":
            fields = effect.fields
            raise ControlError(protocol.REFUSED,
                               f"agent {fields['agent']}: {fields['machine']} is "
                               f"{fields['from']}, cannot {fields['event']}")


class ControlEdge:
    def __init__(self, switch: ControlledSwitch, clock: Clock, path: Path | None = None,
                 subscriber_buffer: int = SUBSCRIBER_BUFFER,
                 write_timeout: float = WRITE_TIMEOUT,
                 stream_backlog: int = STREAM_BACKLOG_BYTES) -> None:
        self.switch = switch
        self.path = path if path is not None else switch.data_dir / SOCKET_NAME
        self._clock = clock
        self._started = clock.now()
        self._subscriber_buffer = subscriber_buffer
        self._write_timeout = write_timeout
        self._stream_backlog = stream_backlog
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self.counters: dict[str, int] = {"requests": 0, "errors": 0, "clients": 0,
                                         "subscribers_dropped": 0}
        self._handlers: dict[str, Handler] = {
            "ping": self._ping,
            "agent.login": self._agent_login,
            "agent.logout": self._agent_logout,
            "agent.pause": self._agent_pause,
            "agent.resume": self._agent_resume,
            "agent.status": self._agent_status,
            "queue.status": self._queue_status,
            "calls.list": self._calls_list,
            "call.hangup": self._call_hangup,
            "call.originate": self._call_originate,
            "recording.pause": self._recording_pause,
            "recording.resume": self._recording_resume,
            "config.reload": self._config_reload,
            "user.list": self._user_list,
            "user.add": self._user_add,
            "user.change": self._user_change,
            "user.remove": self._user_remove,
            "switch.status": self._switch_status,
        }

    # lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        sock = _bind_private(self.path)
        self._server = await asyncio.start_unix_server(self._serve_client, sock=sock)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in tuple(self._clients):
            task.cancel()
        if self._clients:
            await asyncio.gather(*self._clients, return_exceptions=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    # one client ---------------------------------------------------------------------

    async def _serve_client(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        self.counters["clients"] += 1
        writer.transport.set_write_buffer_limits(high=256 * 1024)
        feeds: list[asyncio.Task[None]] = []
        try:
            async for line in _lines(reader):
                answer = await self._answer(line, writer, feeds)
                if answer:
                    writer.write(answer)
                    await asyncio.wait_for(writer.drain(), self._write_timeout)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # the switch is stopping; ending quietly keeps asyncio's stream callback calm
        finally:
            for feed in feeds:
                feed.cancel()
            writer.transport.abort()  # never wait for a client that does not read
            self._clients.discard(task)
            self.counters["clients"] -= 1

    async def _answer(self, line: bytes | None, writer: asyncio.StreamWriter,
                      feeds: list[asyncio.Task[None]]) -> bytes:
        self.counters["requests"] += 1
        request_id: Any = None
        try:
            if line is None:
                raise ControlError(protocol.TOO_LARGE, f"request longer than "
                                                       f"{protocol.MAX_REQUEST_BYTES} bytes")
            request = protocol.parse_request(line)
            request_id = request.id
            command = check(request.cmd, request.args)
            if command.streams:
                feeds.append(self._subscribe(request.id, request.args, writer))
                return protocol.ok(request.id, {"subscribed": True})
            result = await self._handlers[command.name](request.args)
            return protocol.ok(request.id, result)
        except RequestError as error:
            self.counters["errors"] += 1
            return protocol.failed(error.request_id, error)
        except ControlError as error:
            self.counters["errors"] += 1
            return protocol.failed(request_id, error)
        except Exception as error:  # a bug must not take the switch down with it
            log.exception("control command failed")
            self.counters["errors"] += 1
            return protocol.failed(request_id, ControlError(protocol.INTERNAL,
                                                            f"internal error: {error}"))

    def _subscribe(self, request_id: Any, args: dict[str, Any],
                   writer: asyncio.StreamWriter) -> asyncio.Task[None]:
        prefixes = tuple(args.get("kinds") or ())
        subscription = self.switch.database.events.subscribe(maxsize=self._subscriber_buffer)
        return asyncio.get_running_loop().create_task(
            self._feed(request_id, prefixes, subscription, writer))

    async def _feed(self, request_id: Any, prefixes: tuple[str, ...], subscription: Any,
                    writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    event = await subscription.get()
                except SubscriptionClosed:
                    if subscription.lost:
                        self._drop(writer)
                    else:
                        writer.close()
                    return
                if prefixes and not event.kind.startswith(prefixes):
                    continue
                if writer.transport.is_closing():
                    return
                writer.write(protocol.event_line(request_id, event_json(event)))
                if writer.transport.get_write_buffer_size() > self._stream_backlog:
                    self._drop(writer)
                    return
        finally:
            subscription.close()

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        """A subscriber too slow to keep up: cut it off now rather than buffer more."""
        self.counters["subscribers_dropped"] += 1
        log.warning("control: dropped a subscriber that fell behind")
        writer.transport.abort()

    # commands -----------------------------------------------------------------------

    def _call_center(self) -> CallCenter:
        center = self.switch.call_center
        if center is None:
            raise ControlError(protocol.UNAVAILABLE, "the call center is not running")
        return center

    async def _ping(self, args: dict[str, Any]) -> Any:
        return "pong"

    async def _agent_action(self, args: dict[str, Any],
                            action: Callable[[CallCenter, str], list[Any]]) -> Any:
        center = self._call_center()
        try:
            effects = action(center, args["agent"])
        except UnknownName as error:
            raise ControlError(protocol.NOT_FOUND, str(error)) from None
        _refusal(effects)
        return center.agent_status(args["agent"])

    async def _agent_login(self, args: dict[str, Any]) -> Any:
        return await self._agent_action(
            args, lambda c, a: c.login(a, tuple(args.get("queues") or ())))

    async def _agent_logout(self, args: dict[str, Any]) -> Any:
        return await self._agent_action(args, lambda c, a: c.logout(a))

    async def _agent_pause(self, args: dict[str, Any]) -> Any:
        return await self._agent_action(
            args, lambda c, a: c.pause(a, args.get("reason") or "break"))

    async def _agent_resume(self, args: dict[str, Any]) -> Any:
        return await self._agent_action(args, lambda c, a: c.resume(a))

    async def _agent_status(self, args: dict[str, Any]) -> Any:
        center = self._call_center()
        if args.get("agent") is None:
            return center.agents_status()
        try:
            return center.agent_status(args["agent"])
        except UnknownName as error:
            raise ControlError(protocol.NOT_FOUND, str(error)) from None

    async def _queue_status(self, args: dict[str, Any]) -> Any:
        center = self._call_center()
        threshold = args.get("service_level_seconds", today.DEFAULT_SERVICE_LEVEL_SECONDS)
        if threshold < 0:
            raise ControlError(protocol.BAD_ARGUMENTS, "service_level_seconds must be >= 0")
        names = [args["queue"]] if args.get("queue") else center.queue_names()
        try:
            live = [center.queue_live(name) for name in names]
        except UnknownName as error:
            raise ControlError(protocol.NOT_FOUND, str(error)) from None
        events = self.switch.database.events
        # the live part and the figures both stop at this event, so a client that
        # follows the stream applies exactly the events after it
        as_of = events.last_seq
        days = {name: today.QueueDay() for name in names}
        since = today.start_of_day(self._clock.wall())
        async for event in events.read(kinds=today.KINDS, start_ts=since):
            if event.seq > as_of:
                break
            if event.queue in days:
                days[event.queue].add(event.kind, dict(event.data), threshold)
        for entry in live:
            entry["today"] = days[entry["queue"]].to_json()
            entry["service_level_seconds"] = threshold
            entry["as_of_seq"] = as_of
        return live

    def _calls(self) -> CallControl:
        calls = getattr(self.switch, "call_control", None)
        if calls is None:
            raise ControlError(protocol.UNAVAILABLE,
                               "calls are not connected to the control socket yet")
        return calls  # type: ignore[no-any-return]

    async def _calls_list(self, args: dict[str, Any]) -> Any:
        return self._calls().list_calls()

    async def _call_hangup(self, args: dict[str, Any]) -> Any:
        if not self._calls().hangup(args["call_id"]):
            raise ControlError(protocol.NOT_FOUND, f"no call {args['call_id']!r}")
        return {"call_id": args["call_id"], "hung_up": True}

    async def _call_originate(self, args: dict[str, Any]) -> Any:
        try:
            call_id = self._calls().originate(args["from"], args["to"])
        except ValueError as error:
            raise ControlError(protocol.REFUSED, str(error)) from None
        return {"call_id": call_id}

    async def _recording_pause(self, args: dict[str, Any]) -> Any:
        return self._pause_recording(args["call_id"], paused=True)

    async def _recording_resume(self, args: dict[str, Any]) -> Any:
        return self._pause_recording(args["call_id"], paused=False)

    def _pause_recording(self, call_id: str, paused: bool) -> dict[str, Any]:
        supervision = getattr(self.switch, "supervision", None)
        if supervision is None:
            raise ControlError(protocol.UNAVAILABLE, "call recording is not running")
        if not supervision.pause(call_id, paused):
            raise ControlError(protocol.NOT_FOUND, f"no recording running for call "
                                                   f"{call_id!r}")
        return {"call_id": call_id, "paused": paused}

    # configuration ------------------------------------------------------------------

    def _config_path(self) -> Path:
        source = self.switch.config.source
        if not source:
            raise ControlError(protocol.UNAVAILABLE, "the switch was not started from a file")
        return Path(source)

    def _read_config_text(self) -> tuple[Path, str]:
        path = self._config_path()
        try:
            return path, path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ControlError(protocol.CONFIG_INVALID, f"{path}: cannot read: {error}") \
                from None

    def _validate(self, path: Path, text: str) -> Config:
        try:
            return parse_config(text, str(path))
        except ConfigError as error:
            problems = [str(e) for e in getattr(error, "errors", (error,))]
            raise ControlError(protocol.CONFIG_INVALID,
                               f"{path}: configuration refused, the running one is kept",
                               details=problems) from None

    async def _config_reload(self, args: dict[str, Any]) -> Any:
        path, text = self._read_config_text()
        return self._apply(self._validate(path, text))

    def _apply(self, new: Config) -> dict[str, Any]:
        """Swap in a new configuration without touching calls or listeners."""
        old = self.switch.config
        new = replace(new, sip=replace(new.sip, listen=old.sip.listen))
        passwords = getattr(self.switch, "passwords", None)
        if passwords is not None:
            passwords.clear()
            passwords.update({user.extension: user.password for user in new.users})
        center = self.switch.call_center
        acd: dict[str, Any] = {}
        if center is not None:
            try:
                effects, changes = reload_acd(center.acd, new, self._clock.now())
            except ValueError as error:
                raise ControlError(protocol.CONFIG_INVALID,
                                   f"{new.source}: the call center cannot take it: {error}; "
                                   "the running configuration is kept") from None
            center._apply(effects)  # offers to agents given a new tier go out at once
            acd = changes.to_json()
        self.switch.config = new
        self._refresh_routes(new)
        old_users = {u.extension for u in old.users}
        new_users = {u.extension for u in new.users}
        restart = [key for key in ("domain", "user_agent", "auth_algorithms")
                   if getattr(old.sip, key) != getattr(new.sip, key)]
        if old.storage != new.storage:
            restart.append("storage")
        self.switch.database.events.append(
            "config.reloaded", ts=self._clock.wall(), users=len(new.users),
            added_users=sorted(new_users - old_users),
            removed_users=sorted(old_users - new_users), **acd)
        return {"file": new.source, "users": len(new.users),
                "added_users": sorted(new_users - old_users),
                "removed_users": sorted(old_users - new_users),
                "agents_added": acd.get("agents_added", []), "call_center": acd,
                "restart_needed_for": restart}

    def _refresh_routes(self, config: Config) -> None:
        """New extensions become dialable; DIDs, IVR flows and queue music take effect
        for the next call (calls in progress keep what they have)."""
        driver = self.switch.driver
        core = getattr(driver, "core", None)
        passwords = getattr(self.switch, "passwords", None)
        b2bua = getattr(core, "b2bua", None)
        if b2bua is not None and passwords is not None:
            b2bua.dial_plan = DialPlan.for_extensions(passwords)
        calls = getattr(core, "center", None)
        center = self.switch.call_center
        if calls is None or center is None:
            return
        rebuilt = build_center_calls(config, layer=calls.layer, lookup=calls._lookup,
                                     ports=calls.ports, local=calls._local,
                                     settings=calls.settings, prompts=calls.prompts,
                                     center=center)
        calls.route, calls.flows, calls.music = rebuilt.route, rebuilt.flows, rebuilt.music

    async def _user_list(self, args: dict[str, Any]) -> Any:
        return [{"extension": u.extension, "name": u.name} for u in self.switch.config.users]

    async def _edit_users(self, edit: Callable[[str], str]) -> Any:
        path, text = self._read_config_text()
        try:
            new_text = edit(text)
        except UserEditError as error:
            raise ControlError(protocol.REFUSED, str(error)) from None
        config = self._validate(path, new_text)
        mode = stat.S_IMODE(path.stat().st_mode) & 0o600 or 0o600
        write_atomically(path, new_text, mode)
        return self._apply(config)

    async def _user_add(self, args: dict[str, Any]) -> Any:
        return await self._edit_users(lambda text: add_user(
            text, args["extension"], args["password"], args.get("name")))

    async def _user_change(self, args: dict[str, Any]) -> Any:
        if args.get("password") is None and args.get("name") is None:
            raise ControlError(protocol.BAD_ARGUMENTS, "user.change: give a password or name")
        return await self._edit_users(lambda text: change_user(
            text, args["extension"], args.get("password"), args.get("name")))

    async def _user_remove(self, args: dict[str, Any]) -> Any:
        return await self._edit_users(lambda text: remove_user(text, args["extension"]))

    async def _switch_status(self, args: dict[str, Any]) -> Any:
        driver = self.switch.driver
        registrations = None
        if driver is not None:
            registrations = len(driver.core.registrar.location)
        center = self.switch.call_center
        agents: dict[str, int] = {}
        waiting = 0
        if center is not None:
            for entry in center.agents_status():
                agents[entry["status"]] = agents.get(entry["status"], 0) + 1
            waiting = sum(len(center.acd.waiting(q)) for q in center.queue_names())
        events = self.switch.database.events
        return {
            "uptime": round(self._clock.now() - self._started, 3),
            "pid": os.getpid(),
            "listeners": [f"{b.transport}:{b.host}:{b.port}" for b in self.switch.bound],
            "registrations": registrations,
            "users": len(self.switch.config.users),
            "agents": agents,
            "callers_waiting": waiting,
            "counters": {**self.counters, "events": events.last_seq,
                         "subscribers": events.subscriber_count},
            "config": self.switch.config.source,
        }


async def _lines(reader: asyncio.StreamReader) -> Any:
    """Request lines; None stands for a line that was too long (and has been skipped)."""
    buffer = b""
    skipping = False
    while True:
        chunk = await reader.read(_READ_CHUNK)
        if not chunk:
            return
        buffer += chunk
        while True:
            end = buffer.find(b"\n")
            if end < 0:
                break
            line, buffer = buffer[:end], buffer[end + 1:]
            if skipping:
                skipping = False
                continue
            if line.strip():
                yield line if len(line) <= protocol.MAX_REQUEST_BYTES else None
        if len(buffer) > protocol.MAX_REQUEST_BYTES:
            buffer = b""
            if not skipping:
                skipping = True
                yield None


def _bind_private(path: Path) -> socket.socket:
    """A listening Unix socket at `path`, mode 0600 from the start. A socket file left by
    a crash is replaced; one that a running switch answers on is not."""
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise OSError(f"{path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()
        else:
            raise OSError(f"another softswitch is running (control socket {path} answers)")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    except OSError:
        sock.close()
        raise
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(64)
    sock.setblocking(False)
    return sock
