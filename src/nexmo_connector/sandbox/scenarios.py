"""Magic destination numbers that trigger scenarios, all in 447700900900–447700900999.

Every other number (including the rest of the UK's fictional 447700900xxx range) behaves
normally: accepted, delivered, answered by a person.
"""

from __future__ import annotations

from dataclasses import dataclass

MAGIC_PREFIX = "4477009009"


@dataclass(frozen=True, slots=True)
class Scenario:
    """What happens to messages and calls sent to one magic number."""

    description: str
    barred: bool = False
    receipt_status: str = "delivered"
    err_code: int = 0
    call_status: str = "ok"
    slow: bool = False


NORMAL = Scenario("delivered / answered by a person")

SCENARIOS: dict[str, Scenario] = {
    "00": Scenario(
        "barred number: SMS status 7, TTS call blocked", barred=True, call_status="blocked"
    ),
    **{
        f"{code:02d}": Scenario(
            f"receipt failed with err-code {code}; TTS call failed",
            receipt_status="failed",
            err_code=code,
            call_status="failed",
        )
        for code in range(1, 16)
    },
    "20": Scenario(
        "receipt expired with err-code 2 (absent subscriber)", receipt_status="expired", err_code=2
    ),
    "30": Scenario("TTS call answered by a machine", call_status="machine"),
    "31": Scenario("TTS call busy", call_status="busy"),
    "32": Scenario("TTS call rings out unanswered", call_status="unanswered"),
    "40": Scenario("slow upstream: every answer delayed (--slow-seconds)", slow=True),
    **{
        f"{code}": Scenario(
            f"receipt rejected with err-code {code}", receipt_status="rejected", err_code=code
        )
        for code in range(50, 55)
    },
    "99": Scenario(
        "receipt failed with err-code 99 (general error)", receipt_status="failed", err_code=99
    ),
}


def scenario_for(msisdn: str) -> Scenario:
    """The scenario of a destination number (``NORMAL`` outside the magic range)."""
    if len(msisdn) == 12 and msisdn.startswith(MAGIC_PREFIX):
        return SCENARIOS.get(msisdn[-2:], NORMAL)
    return NORMAL


def catalogue() -> list[dict[str, str]]:
    """The documented table, for the inspection API and the README."""
    return [
        {"msisdn": MAGIC_PREFIX + suffix, "scenario": scenario.description}
        for suffix, scenario in sorted(SCENARIOS.items())
    ]
