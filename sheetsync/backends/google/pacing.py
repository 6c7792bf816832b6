"""Pacing and retries for a rate-limited remote API (the Google Sheets API).

Google's Sheets quota is counted per minute: about 60 read and 60 write requests per user
(300 per project). A sync over a ward sends a few requests per unit, so without pacing a large
ward would run straight into 429s. Two mechanisms, both bounded:

- a token bucket per quota kind (read, write) that delays a request until it fits under the
  per-minute limit. The bucket holds `burst` tokens and refills at `(limit - burst) / 60 s`, so
  that in any 60-second window at most `burst + (limit - burst) = limit` requests start;
- retries of transient failures (429, 5xx, dropped connections) with exponential backoff and
  full jitter, bounded in count (`max_attempts`) and in total time (`max_seconds`); past those
  bounds `RetryExhausted` carries the last error so the caller can name the unit that failed.

Nothing here knows about HTTP: the caller says which exceptions are transient. Clock, sleep and
random source are injectable so that tests run in milliseconds.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

Clock = Callable[[], float]
Sleep = Callable[[float], None]
# exception → None (not transient: raise at once) or a delay hint in seconds (0.0 = no hint)
Classifier = Callable[[BaseException], "float | None"]


@dataclass(frozen=True)
class PacingConfig:
    """Quota and retry settings. A per-minute limit of 0 (or None) turns that bucket off."""

    reads_per_minute: float | None = 60
    writes_per_minute: float | None = 60
    burst: int = 10  # requests that may start at once after a quiet spell
    max_attempts: int = 7  # first try included
    max_seconds: float = 180.0  # give up when the next wait would end past this (per call)
    backoff_base: float = 1.0  # first retry waits up to this long; doubles each time
    backoff_cap: float = 64.0  # no single wait longer than this (Google's advice: 64 s)

    def per_minute(self, kind: str) -> float | None:
        return {"read": self.reads_per_minute, "write": self.writes_per_minute}.get(kind)


class TokenBucket:
    """Blocks in `acquire` until a request fits under `limit` per rolling minute."""

    def __init__(self, limit_per_minute: float, burst: int = 10, *, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        if limit_per_minute <= 0:
            raise ValueError("limit_per_minute must be positive")
        self.capacity = float(max(1, min(burst, int(limit_per_minute // 2))))
        # Refill slower than the quota by the burst, so burst + refill never exceeds the quota.
        self.rate = max(limit_per_minute - self.capacity, 1.0) / 60.0  # tokens per second
        self._tokens = self.capacity
        self._clock, self._sleep = clock, sleep
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self) -> float:
        """Take one token, sleeping as long as needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1.0 - 1e-9:  # tolerance: float sums must not spin forever
                    self._tokens = max(0.0, self._tokens - 1.0)
                    self.waited += waited
                    return waited
                delay = max((1.0 - self._tokens) / self.rate, 1e-3)
            self._sleep(delay)
            waited += delay


class RetryExhausted(Exception):
    """A call kept failing transiently past the retry bounds."""

    def __init__(self, last: BaseException, attempts: int, elapsed: float) -> None:
        super().__init__(f"gave up after {attempts} attempts in {elapsed:.1f} s: {last}")
        self.last = last
        self.attempts = attempts
        self.elapsed = elapsed


@dataclass
class PacerStats:
    calls: int = 0
    attempts: int = 0
    retries: int = 0
    waited_for_quota: float = 0.0
    waited_for_backoff: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)


class Pacer:
    """Token buckets per quota kind plus bounded retries; one instance per account/process,
    shared by every unit of a sync so the quota is respected across units."""

    def __init__(self, config: PacingConfig | None = None, *, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep, rng: random.Random | None = None) -> None:
        self.config = config or PacingConfig()
        self._clock, self._sleep = clock, sleep
        self._rng = rng or random.Random()
        self._buckets: dict[str, TokenBucket] = {}
        for kind in ("read", "write"):
            limit = self.config.per_minute(kind)
            if limit:
                self._buckets[kind] = TokenBucket(limit, self.config.burst, clock=clock, sleep=sleep)
        self.stats = PacerStats()
        self._lock = threading.Lock()

    def backoff(self, attempt: int, hint: float = 0.0) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))], at least the server's hint."""
        c = self.config
        ceiling = min(c.backoff_cap, c.backoff_base * (2 ** (attempt - 1)))
        return max(min(hint, c.backoff_cap), self._rng.uniform(0, ceiling))

    def call(self, kind: str, fn: Callable[[], T], is_transient: Classifier) -> T:
        """Run `fn` under the `kind` bucket, retrying transient failures within the bounds."""
        c = self.config
        start = self._clock()
        attempt = 0
        with self._lock:
            self.stats.calls += 1
            self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + 1
        while True:
            attempt += 1
            bucket = self._buckets.get(kind)
            if bucket is not None:
                waited = bucket.acquire()
                with self._lock:
                    self.stats.waited_for_quota += waited
            with self._lock:
                self.stats.attempts += 1
            try:
                return fn()
            except Exception as exc:  # classified here; re-raised at once unless transient
                hint = is_transient(exc)
                if hint is None:
                    raise
                elapsed = self._clock() - start
                delay = self.backoff(attempt, hint)
                if attempt >= c.max_attempts or elapsed + delay > c.max_seconds:
                    raise RetryExhausted(exc, attempt, elapsed) from exc
                with self._lock:
                    self.stats.retries += 1
                    self.stats.waited_for_backoff += delay
                self._sleep(delay)
