"""Token bucket and bounded retries, on a fake clock (no real waiting)."""

from __future__ import annotations

import random

import pytest

from sheetsync.backends.google.pacing import Pacer, PacingConfig, RetryExhausted, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Flaky(Exception):
    pass


def transient(exc: BaseException):
    return 0.0 if isinstance(exc, Flaky) else None


@pytest.mark.parametrize("limit", [60, 10, 5])
def test_bucket_never_exceeds_limit_in_any_minute(limit):
    clock = FakeClock()
    bucket = TokenBucket(limit, burst=10, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(4 * limit):
        bucket.acquire()
        starts.append(clock.now)
    for i, t in enumerate(starts):
        in_window = sum(1 for s in starts[i:] if s < t + 60.0)
        assert in_window <= limit
    # ...and it is not needlessly slow: the sustained rate is most of the quota.
    assert starts[-1] <= 60.0 * 4 * limit / (limit - min(10, limit // 2)) + 1e-6


def test_retries_transient_errors_with_growing_jittered_waits():
    clock = FakeClock()
    pacer = Pacer(PacingConfig(reads_per_minute=None, writes_per_minute=None, backoff_base=1.0, backoff_cap=8.0,
                               max_attempts=6), clock=clock, sleep=clock.sleep, rng=random.Random(1))
    failures = iter([Flaky(), Flaky(), Flaky()])

    def call():
        exc = next(failures, None)
        if exc:
            raise exc
        return "ok"

    assert pacer.call("read", call, transient) == "ok"
    assert pacer.stats.retries == 3 and pacer.stats.attempts == 4
    for attempt, wait in enumerate(clock.sleeps, start=1):
        assert 0 <= wait <= min(8.0, 2 ** (attempt - 1))


def test_gives_up_after_max_attempts():
    clock = FakeClock()
    pacer = Pacer(PacingConfig(reads_per_minute=None, writes_per_minute=None, max_attempts=4),
                  clock=clock, sleep=clock.sleep)
    calls = []

    def call():
        calls.append(1)
        raise Flaky("503")

    with pytest.raises(RetryExhausted) as info:
        pacer.call("write", call, transient)
    assert len(calls) == 4 and info.value.attempts == 4 and isinstance(info.value.last, Flaky)


def test_gives_up_when_out_of_time():
    clock = FakeClock()
    pacer = Pacer(PacingConfig(reads_per_minute=None, writes_per_minute=None, max_attempts=100, max_seconds=30,
                               backoff_base=4, backoff_cap=16), clock=clock, sleep=clock.sleep)

    def call():
        clock.now += 1.0  # each attempt takes a second
        raise Flaky()

    with pytest.raises(RetryExhausted) as info:
        pacer.call("read", call, transient)
    assert clock.now <= 30 + 1.0
    assert info.value.attempts < 100


def test_other_errors_are_not_retried():
    clock = FakeClock()
    pacer = Pacer(PacingConfig(), clock=clock, sleep=clock.sleep)

    def call():
        raise KeyError("bad request")

    with pytest.raises(KeyError):
        pacer.call("read", call, transient)
    assert pacer.stats.attempts == 1 and not clock.sleeps


def test_server_hint_is_honoured_within_cap():
    clock = FakeClock()
    pacer = Pacer(PacingConfig(backoff_base=0.1, backoff_cap=5), clock=clock, sleep=clock.sleep)
    assert pacer.backoff(1, hint=3.0) == 3.0
    assert pacer.backoff(1, hint=99.0) == 5.0


def test_buckets_are_per_kind():
    clock = FakeClock()
    pacer = Pacer(PacingConfig(reads_per_minute=4, writes_per_minute=None, burst=2), clock=clock, sleep=clock.sleep)
    for _ in range(20):
        pacer.call("write", lambda: None, transient)
    assert clock.now == 0.0  # writes unpaced here
    for _ in range(6):
        pacer.call("read", lambda: None, transient)
    assert clock.now > 0.0 and pacer.stats.waited_for_quota > 0
