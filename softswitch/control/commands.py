"""Every control command and its arguments, as data: name -> argument specs.

The edge looks a command up here, checks its arguments, and only then runs it, so a bad
request never reaches the switch's parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from softswitch.control.protocol import BAD_ARGUMENTS, UNKNOWN_COMMAND, ControlError

_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "bool": (bool,), "str_list": (list,),
}


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str = "str"
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[Arg, ...]
    help: str
    #: answers with a stream of event lines after the first answer
    streams: bool = False


def _cmd(name: str, help: str, *args: Arg, streams: bool = False) -> Command:
    return Command(name, args, help, streams)


_AGENT = Arg("agent", help="agent id")
COMMANDS: dict[str, Command] = {c.name: c for c in (
    _cmd("agent.login", "log an agent in (optionally into queues)", _AGENT,
         Arg("queues", "str_list", required=False)),
    _cmd("agent.logout", "log an agent out", _AGENT),
    _cmd("agent.pause", "put an agent on break with a reason", _AGENT,
         Arg("reason", required=False)),
    _cmd("agent.resume", "make a paused agent available again", _AGENT),
    _cmd("agent.status", "one agent or all", Arg("agent", required=False)),
    _cmd("queue.status", "waiting callers, agents by state and today's figures",
         Arg("queue", required=False), Arg("service_level_seconds", "int", required=False)),
    _cmd("calls.list", "calls in progress"),
    _cmd("call.hangup", "end a call", Arg("call_id")),
    _cmd("call.originate", "call `to` from extension `from`", Arg("from"), Arg("to")),
    _cmd("recording.pause", "write silence instead of a call's audio (card numbers)",
         Arg("call_id")),
    _cmd("recording.resume", "record a paused call's audio again", Arg("call_id")),
    _cmd("config.reload", "re-read the configuration file"),
    _cmd("user.list", "configured users (no passwords)"),
    _cmd("user.add", "add a user to the configuration file", Arg("extension"),
         Arg("password"), Arg("name", required=False)),
    _cmd("user.change", "change a user's password or name", Arg("extension"),
         Arg("password", required=False), Arg("name", required=False)),
    _cmd("user.remove", "remove a user from the configuration file", Arg("extension")),
    _cmd("switch.status", "uptime, listeners, registrations and counters"),
    _cmd("subscribe", "stream events live, optionally only kinds with these prefixes",
         Arg("kinds", "str_list", required=False), streams=True),
    _cmd("ping", "check the switch answers"),
)}


def check(cmd: str, args: dict[str, Any]) -> Command:
    """The command, if it exists and `args` fit it; else a ControlError saying why."""
    command = COMMANDS.get(cmd)
    if command is None:
        raise ControlError(UNKNOWN_COMMAND, f"unknown command {cmd!r}; known: "
                                            f"{', '.join(sorted(COMMANDS))}")
    known = {arg.name for arg in command.args}
    extra = sorted(set(args) - known)
    if extra:
        raise ControlError(BAD_ARGUMENTS, f"{cmd}: unexpected argument(s) {', '.join(extra)}"
                                          f"; takes {', '.join(sorted(known)) or 'none'}")
    for arg in command.args:
        value = args.get(arg.name)
        if value is None:
            if arg.required:
                raise ControlError(BAD_ARGUMENTS, f"{cmd}: missing argument {arg.name!r}")
            continue
        if arg.kind == "int" and isinstance(value, bool):
            value = None
        if not isinstance(value, _KINDS[arg.kind]) or (
                arg.kind == "str_list" and not all(isinstance(v, str) for v in value)):
            raise ControlError(BAD_ARGUMENTS, f"{cmd}: {arg.name!r} must be "
                                              f"{_DESCRIBE[arg.kind]}")
        if arg.kind == "str" and not value.strip():
            raise ControlError(BAD_ARGUMENTS, f"{cmd}: {arg.name!r} must not be empty")
    return command


_DESCRIBE = {"str": "a string", "int": "an integer", "bool": "true or false",
             "str_list": "a list of strings"}
