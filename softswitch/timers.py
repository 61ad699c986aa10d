"""A heap of named deadlines, so a core can say "wake me at t" for many things at once.

Setting a key again moves its deadline; cancelled and moved entries are dropped lazily
when they reach the top of the heap, so every operation is O(log n).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Deadlines(Generic[K]):
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K]] = []
        self._live: dict[K, tuple[float, int]] = {}
        self._counter = itertools.count()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: object) -> bool:
        return key in self._live

    def set(self, key: K, when: float) -> None:
        entry = (when, next(self._counter))
        self._live[key] = entry
        heapq.heappush(self._heap, (entry[0], entry[1], key))

    def cancel(self, key: K) -> None:
        self._live.pop(key, None)

    def when(self, key: K) -> float | None:
        entry = self._live.get(key)
        return entry[0] if entry else None

    def next(self) -> float | None:
        """The earliest live deadline, or None when nothing is pending."""
        heap = self._heap
        while heap:
            when, seq, key = heap[0]
            if self._live.get(key) == (when, seq):
                return when
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> list[K]:
        """Remove and return every key whose deadline is at or before `now`, earliest first."""
        due: list[K] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, seq, key = heapq.heappop(heap)
            if self._live.get(key) == (when, seq):
                del self._live[key]
                due.append(key)
        return due
