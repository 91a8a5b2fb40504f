"""The in-process moving window: exact counts, a moving (not fixed) window, quiet keys dropped."""

from __future__ import annotations

import pytest

from nexmo_connector import throttle
from nexmo_connector.throttle import LocalWindow, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(throttle.time, "time", clock.time)
    return clock


def test_the_window_moves_with_each_hit(clock: Clock) -> None:
    window = LocalWindow(3, 60)
    assert [window.hit("k") for _ in range(3)] == [True, True, True]
    clock.now += 30
    assert not window.hit("k")
    assert window.stats("k") == (0, 1_000_060.0)  # the oldest hit leaves at 60 s
    clock.now += 30  # exactly one window after the first three: they all leave
    assert window.hit("k")
    assert window.stats("k") == (2, clock.now + 60)


def test_keys_are_counted_apart(clock: Clock) -> None:
    window = LocalWindow(1, 60)
    assert window.hit("a") and window.hit("b")
    assert not window.hit("a")
    assert window.stats("c") == (1, clock.now)


def test_a_key_quiet_for_a_window_is_forgotten(clock: Clock) -> None:
    window = LocalWindow(2, 1)
    for i in range(1000):
        window.hit(f"k{i}")
    clock.now += 2
    window.hit("fresh")
    assert set(window._hits) == {"fresh"}


def test_the_limiter_answers_the_wait_from_the_oldest_hit(clock: Clock) -> None:
    limiter = RateLimiter("2/10 seconds")
    assert limiter.try_acquire("k") is None
    clock.now += 4
    assert limiter.try_acquire("k") is None
    assert limiter.try_acquire("k") == pytest.approx(6)
