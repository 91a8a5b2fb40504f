"""Wake-ups of the requests waiting for events: none is lost, in one replica or across two."""

from __future__ import annotations

import asyncio

import pytest

from nexmo_connector.service import listeners
from nexmo_connector.service.listeners import Listeners


@pytest.fixture(autouse=True)
def no_recheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lost wake-up would otherwise be hidden by the once-a-second look."""
    monkeypatch.setattr(listeners, "RECHECK", 600.0)


async def test_a_wake_while_the_waiter_looks_at_the_store_is_kept_for_its_wait() -> None:
    hub = Listeners()
    with hub.watch("c1") as watch:
        await hub.notify("c1")  # lands between the waiter's look and its wait
        await asyncio.wait_for(watch.wait(600), 5)


async def test_a_waiter_hears_only_its_own_connection() -> None:
    hub = Listeners()
    with hub.watch("c1") as watch:
        await hub.notify("c2")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(watch.wait(600), 0.2)


async def test_a_replica_hears_the_other_from_the_moment_it_has_started(redis_url: str) -> None:
    a, b = Listeners(redis_url), Listeners(redis_url)
    await a.start()
    await b.start()
    try:
        with b.watch("c1") as watch:
            await a.notify("c1")  # right after start: b is already subscribed
            await asyncio.wait_for(watch.wait(600), 5)
    finally:
        await a.stop()
        await b.stop()
