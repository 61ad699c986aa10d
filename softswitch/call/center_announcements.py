"""What a waiting caller hears when the ACD announces their place in line.

The ACD speaks in tokens (`("queue-position", "3", "queue-wait-minutes", "2")`, see
`Acd._announce`); callers hear recorded prompts. This turns the one into the other with
`Speaker`, in the caller's language, so "3" becomes "you are caller number three" and not
a bare digit. The ACD leaves the wait out when its estimate is None; nothing here invents
one. Sans-IO: names in, names out.
"""

from __future__ import annotations

from softswitch.media.prompts import PromptError, Speaker

#: the ACD's tokens, each followed by one whole number
POSITION = "queue-position"
WAIT_MINUTES = "queue-wait-minutes"
#: languages with number rules; any other falls back to the first
LANGUAGES = ("en", "zh")


def announcement_prompts(tokens: tuple[str, ...], language: str) -> tuple[str, ...]:
    """The prompt names (language/name) that say `tokens`. A token pair whose number is
    missing or cannot be said is left out; any other token is a prompt name already."""
    speaker = Speaker(language if language in LANGUAGES else LANGUAGES[0])
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token not in (POSITION, WAIT_MINUTES):
            out.append(token)
            i += 1
            continue
        number = _whole(tokens[i + 1]) if i + 1 < len(tokens) else None
        i += 2
        if number is None or number < 0:
            continue
        try:
            if token == POSITION:
                out += speaker.caller_position(number) if number > 0 else []
            else:
                out += speaker.expected_wait(max(1, number) * 60.0)
        except PromptError:  # a place in line past what the prompts can say
            continue
    return tuple(out)


def _whole(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


__all__ = ["LANGUAGES", "POSITION", "WAIT_MINUTES", "announcement_prompts"]
