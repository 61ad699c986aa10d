"""The IVR interpreter: one caller walking a flow, driven by digits, prompt ends and timers.

Sans-IO: the call layer feeds `start`, `digit`, `prompt_finished` and `handle_timers`
with the current monotonic time and carries out the effects. The wall time is given once
at `start` and followed from the monotonic clock afterwards, so business hours are
evaluated without reading a clock.

Input timeouts start when the prompt has finished playing (a caller cannot be late for a
question they have not heard); a key pressed during a prompt stops it (barge-in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from softswitch.ivr.effects import (
    CollectDigits,
    Emit,
    Hangup,
    IvrEffect,
    Play,
    StopPlayback,
    TransferToExtension,
    TransferToQueue,
    Voicemail,
)
from softswitch.ivr.flow import DTMF, FlowError, validate_flow
from softswitch.ivr.hours import is_open, local_date
from softswitch.timers import Deadlines

DEFAULT_TIMEOUT = 5.0
DEFAULT_RETRIES = 2
#: non-interactive nodes visited in a row before the flow is judged to loop
MAX_STEPS = 100


class IvrSession:
    def __init__(self, flow: Mapping[str, Any], call_id: str = "",
                 language: str = "en") -> None:
        errors = validate_flow(flow)
        if errors:
            raise FlowError(errors)
        self.flow = flow
        self.nodes: Mapping[str, Mapping[str, Any]] = flow["nodes"]
        self.call_id = call_id
        self.language = language
        self.skills: dict[str, int] = {}
        self.priority = 0
        self.vars: dict[str, str] = {}
        self.node: str | None = None
        self.done = False
        self._wall_offset = 0.0
        self._playing = False
        self._listening = False
        self._attempts = 0
        self._digits = ""
        self._timers: Deadlines[str] = Deadlines()

    # inputs -------------------------------------------------------------------------

    def start(self, now: float, wall: float) -> list[IvrEffect]:
        if self.node is not None:
            return [Emit("ivr.refused", {"call_id": self.call_id, "reason": "already started"})]
        self._wall_offset = wall - now
        return [Emit("ivr.started", {"call_id": self.call_id, "at": now}),
                *self._enter(str(self.flow["start"]), now)]

    def digit(self, d: str, now: float) -> list[IvrEffect]:
        if self.done or not self._listening:
            return []
        if len(d) != 1 or d not in DTMF:
            return [Emit("ivr.refused", {"call_id": self.call_id, "reason": f"bad digit {d!r}"})]
        effects: list[IvrEffect] = []
        if self._playing:
            self._playing = False
            effects.append(StopPlayback())
        node = self.nodes[self.node or ""]
        if node["type"] == "collect":
            return effects + self._collect_digit(node, d, now)
        choices = node["choices"]
        if d not in choices:
            return effects + self._retry(node, "invalid", now, d)
        self._timers.cancel("input")
        self._listening = False
        effects.append(Emit("ivr.choice", {"call_id": self.call_id, "node": self.node,
                                           "digit": d, "at": now}))
        if node["type"] == "language":
            self.language = choices[d]
            return effects + self._enter(node["next"], now)
        return effects + self._enter(choices[d], now)

    def prompt_finished(self, now: float) -> list[IvrEffect]:
        if self.done or not self._playing:
            return []
        self._playing = False
        node = self.nodes[self.node or ""]
        if node["type"] == "play":
            return self._enter(node["next"], now) if "next" in node else \
                self._finish(Hangup("end of flow"), now)
        if node["type"] == "hangup":
            return self._finish(Hangup("flow"), now)
        if self._listening:
            self._timers.set("input", now + float(node.get("timeout", DEFAULT_TIMEOUT)))
        return []

    def next_deadline(self) -> float | None:
        return self._timers.next()

    def handle_timers(self, now: float) -> list[IvrEffect]:
        effects: list[IvrEffect] = []
        for _ in self._timers.pop_due(now):
            if self.done or not self._listening:
                continue
            node = self.nodes[self.node or ""]
            if node["type"] == "collect" and (self._digits or node.get("min_digits", 1) == 0):
                effects += self._collect_done(node, now)
            else:
                effects += self._retry(node, "noinput", now, "")
        return effects

    def wall(self, now: float) -> float:
        return now + self._wall_offset

    # walking the flow ---------------------------------------------------------------

    def _enter(self, name: str, now: float) -> list[IvrEffect]:
        effects: list[IvrEffect] = []
        for _ in range(MAX_STEPS):
            node = self.nodes[name]
            self.node = name
            self._attempts = 0
            effects.append(Emit("ivr.node", {"call_id": self.call_id, "node": name,
                                             "type": node["type"], "at": now}))
            kind = node["type"]
            if kind == "goto":
                name = node["target"]
            elif kind == "set":
                self.skills.update(node.get("skills", {}))
                self.priority = int(node.get("priority", self.priority))
                self.vars.update(node.get("vars", {}))
                self.language = node.get("language", self.language)
                name = node["next"]
            elif kind == "hours":
                holiday = str(self._local_date(node, now)) in {
                    str(h) for h in node.get("holidays", [])}
                if holiday and "holiday" in node:
                    name = node["holiday"]
                else:
                    open_now = is_open(self.wall(now), node["timezone"], node["schedule"],
                                       node.get("holidays", []))
                    name = node["open"] if open_now else node["closed"]
            else:
                return effects + self._interact(node, now)
        return effects + self._finish(Hangup("flow loops"), now)

    def _local_date(self, node: Mapping[str, Any], now: float) -> str:
        return local_date(self.wall(now), node["timezone"])

    def _interact(self, node: Mapping[str, Any], now: float) -> list[IvrEffect]:
        kind = node["type"]
        if kind == "queue":
            return self._finish(TransferToQueue(node["queue"], dict(self.skills), self.priority,
                                                dict(self.vars), self.language), now)
        if kind == "extension":
            return self._finish(TransferToExtension(node["number"], dict(self.vars)), now)
        if kind == "voicemail":
            return self._finish(Voicemail(node["box"], dict(self.vars)), now)
        if kind == "hangup" and not node.get("prompts"):
            return self._finish(Hangup("flow"), now)
        return self._prompt(node, tuple(node["prompts"]))

    def _prompt(self, node: Mapping[str, Any], prompts: tuple[str, ...]) -> list[IvrEffect]:
        self._playing = True
        effects: list[IvrEffect] = [Play(prompts, self.language)]
        if node["type"] in ("menu", "language", "collect"):
            self._listening = True
            self._digits = ""
            if node["type"] == "collect":
                effects.append(CollectDigits(int(node.get("max_digits", 20)),
                                             str(node.get("terminator", "#"))))
            else:
                effects.append(CollectDigits(1))
        else:
            self._listening = False
        return effects

    def _retry(self, node: Mapping[str, Any], why: str, now: float,
               digit: str) -> list[IvrEffect]:
        self._timers.cancel("input")
        self._attempts += 1
        effects: list[IvrEffect] = [Emit(f"ivr.{why}", {
            "call_id": self.call_id, "node": self.node, "digit": digit,
            "attempt": self._attempts, "at": now})]
        if self._attempts > int(node.get("retries", DEFAULT_RETRIES)):
            self._listening = False
            if node["type"] == "language":
                self.language = node.get("default", self.language)
                return effects + self._enter(node["next"], now)
            if "on_fail" in node:
                return effects + self._enter(node["on_fail"], now)
            return effects + self._finish(Hangup(f"{why} after retries"), now)
        prompt = node.get(f"{why}_prompt")
        prompts = ((prompt,) if prompt else ()) + tuple(node["prompts"])
        return effects + self._prompt(node, prompts)

    def _collect_digit(self, node: Mapping[str, Any], d: str, now: float) -> list[IvrEffect]:
        terminator = str(node.get("terminator", "#"))
        if terminator and d == terminator:
            return self._collect_done(node, now)
        self._digits += d
        if len(self._digits) >= int(node.get("max_digits", 20)):
            return self._collect_done(node, now)
        self._timers.set("input", now + float(node.get(
            "inter_digit_timeout", node.get("timeout", DEFAULT_TIMEOUT))))
        return []

    def _collect_done(self, node: Mapping[str, Any], now: float) -> list[IvrEffect]:
        self._timers.cancel("input")
        digits, self._digits = self._digits, ""
        if len(digits) < int(node.get("min_digits", 1)):
            return self._retry(node, "invalid" if digits else "noinput", now, digits)
        self._listening = False
        self.vars[node["var"]] = digits
        return [Emit("ivr.collected", {"call_id": self.call_id, "node": self.node,
                                       "var": node["var"], "digits": digits, "at": now}),
                *self._enter(node["next"], now)]

    def _finish(self, effect: IvrEffect, now: float) -> list[IvrEffect]:
        self.done = True
        self._listening = self._playing = False
        self._timers.cancel("input")
        return [Emit("ivr.finished", {"call_id": self.call_id, "node": self.node,
                                      "outcome": type(effect).__name__, "at": now}), effect]
