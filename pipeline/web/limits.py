"""Login throttling: attempts counted before the password is checked, in a bounded store that forgets old
entries, and a gate that bounds how many argon2 hashes run at once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
Key = tuple[str, str, str]


class HashingBusy(Exception):
    """Every hashing slot stayed busy for the whole wait."""


class RateLimit:
    """Login attempts in a sliding window: per client IP and user name, per client IP, and per account across
    all clients. An attempt is counted before its password is checked, so concurrent guesses cannot pass the
    limit; a good login takes its own attempt back. At most `max_keys` entries are kept (the least recently
    used go first) and each keeps at most its limit of times, so the store stays small whatever is sent."""

    def __init__(self, per_user: int = 5, per_ip: int = 30, per_account: int = 20, window_s: float = 900.0,
                 max_keys: int = 10_000) -> None:
        self.per_user, self.per_ip, self.per_account = per_user, per_ip, per_account
        self.window_s, self.max_keys = window_s, max_keys
        self._hits: OrderedDict[Key, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many entries the store holds."""
        with self._lock:
            return len(self._hits)

    def _keys(self, ip: str, user: str) -> list[tuple[Key, int]]:
        """The counters an attempt touches, each with its limit."""
        name = user.lower()
        return [(("pair", ip, name), self.per_user), (("ip", ip, ""), self.per_ip),
                (("account", "", name), self.per_account)]

    def _expire(self, now: float) -> None:
        """Drop entries whose newest attempt left the window, and the least recently used beyond max_keys."""
        while self._hits:
            key, times = next(iter(self._hits.items()))
            if times and times[-1] >= now - self.window_s and len(self._hits) <= self.max_keys:
                break
            del self._hits[key]

    def _recent(self, key: Key, now: float) -> deque[float] | None:
        """The attempt times of a key inside the window, or None."""
        times = self._hits.get(key)
        while times and times[0] < now - self.window_s:
            times.popleft()
        return times

    def attempt(self, ip: str, user: str) -> int:
        """Count one attempt and return 0; or, when a limit is reached, count nothing and return the seconds
        to wait."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            keys = self._keys(ip, user)
            for key, limit in keys:
                times = self._recent(key, now)
                if times is not None and len(times) >= limit:
                    return int(times[0] + self.window_s - now) + 1
            for key, limit in keys:
                self._hits.setdefault(key, deque(maxlen=limit)).append(now)
                self._hits.move_to_end(key)
            self._expire(now)
        return 0

    def refund(self, ip: str, user: str) -> None:
        """Take back the latest attempt (its password was never checked, or it was right)."""
        with self._lock:
            for key, _ in self._keys(ip, user):
                times = self._hits.get(key)
                if times:
                    times.pop()

    def succeeded(self, ip: str, user: str) -> None:
        """A good login: take its attempt back and forget this client's failures for the user."""
        self.refund(ip, user)
        with self._lock:
            self._hits.pop(("pair", ip, user.lower()), None)


class HashGate:
    """At most `slots` password hashes at once (argon2 takes 64 MiB and a core each); the others wait up to
    `wait_s`, then HashingBusy."""

    def __init__(self, slots: int = 2, wait_s: float = 10.0) -> None:
        self.slots, self.wait_s = slots, wait_s
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def run(self, work: Callable[[], T]) -> T:
        """The result of `work`, computed in one of the slots."""
        if not self._slots.acquire(timeout=self.wait_s):
            raise HashingBusy(f"{self.slots} password checks are running; try again in a moment")
        try:
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            return work()
        finally:
            with self._lock:
                self.running -= 1
            self._slots.release()
