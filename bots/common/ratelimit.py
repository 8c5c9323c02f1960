"""Per-user token buckets: a burst of messages is fine, a sustained flood is not.

Each user has ``burst`` tokens, refilled at ``per_minute``; every message costs one. A user who
runs out is told once how long to wait (``slow_down``), and further messages are dropped quietly
until a token is back, so a flood does not become a flood of replies. Any channel's user ids work.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ok", "warn", "drop"]


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class RateLimiter:
    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic, max_users: int = 100_000
    ):
        self.rate = per_minute / 60.0
        self.burst = burst
        self._clock = clock
        self._max_users = max_users
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def check(self, user_id: Hashable) -> Verdict:
        """ "ok" (go ahead), "warn" (over the limit: say so once) or "drop" (over it, already told)."""
        now = self._clock()
        bucket = self._buckets.pop(user_id, None) or _Bucket(float(self.burst), now)
        self._buckets[user_id] = bucket  # most recently seen last, so the oldest go first
        if len(self._buckets) > self._max_users:
            self._buckets.popitem(last=False)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return "ok"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

    def wait_seconds(self, user_id: Hashable) -> int:
        """Whole seconds until ``user_id`` has a token again."""
        bucket = self._buckets.get(user_id)
        if bucket is None or bucket.tokens >= 1.0:
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))


def slow_down(seconds: int) -> str:
    """What a user over the limit is told, once."""
    return f"You're sending messages faster than I can answer. Please wait about {seconds} s and try again."
