"""The demo flow: choose a language, then 1 sales / 2 support / 0 operator.

Outside business hours (Mon-Fri 09:00-18:00 Shanghai time, closed on listed holidays)
callers hear a closing message and may leave a voicemail.
"""

from __future__ import annotations

from typing import Any

DEMO_FLOW: dict[str, Any] = {
    "start": "language",
    "nodes": {
        "language": {
            "type": "language", "prompts": ["choose-language"],
            "choices": {"1": "en", "2": "zh"}, "default": "en",
            "timeout": 5, "retries": 1, "next": "hours",
        },
        "hours": {
            "type": "hours", "timezone": "Asia/Shanghai",
            "schedule": {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-01-01", "2026-10-01"],
            "open": "main", "closed": "closed",
        },
        "main": {
            "type": "menu", "prompts": ["welcome", "main-menu"],
            "choices": {"1": "sales", "2": "support", "0": "operator"},
            "timeout": 6, "retries": 2, "invalid_prompt": "invalid-choice",
            "noinput_prompt": "no-input", "on_fail": "operator",
        },
        "sales": {"type": "set", "skills": {"sales": 1}, "vars": {"department": "sales"},
                  "next": "sales-queue"},
        "sales-queue": {"type": "queue", "queue": "sales"},
        "support": {"type": "set", "skills": {"support": 1},
                    "vars": {"department": "support"}, "next": "support-queue"},
        "support-queue": {"type": "queue", "queue": "support"},
        "operator": {"type": "extension", "number": "100"},
        "closed": {"type": "play", "prompts": ["closed"], "next": "after-hours"},
        "after-hours": {"type": "voicemail", "box": "100"},
    },
}
