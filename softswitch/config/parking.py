"""The `[parking]` section: the slots a parked call waits in and how long it waits."""

from __future__ import annotations

from dataclasses import dataclass

from softswitch.config.numbers import number_range
from softswitch.config.schema import NUMBER, STRING, setting
from softswitch.config.values import positive_seconds


@dataclass(frozen=True, kw_only=True)
class ParkingConfig:
    #: the slot numbers, first free one taken; dialling a slot retrieves its call
    slots: tuple[str, ...] = setting(number_range("701-720"), kind=STRING,
                                     convert=number_range)
    #: seconds a parked call waits before it rings the phone that parked it
    timeout: float = setting(120.0, kind=NUMBER, convert=positive_seconds)
