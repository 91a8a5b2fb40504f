"""``/tts/json``: the legacy text-to-speech call, simulated with compressed call time."""

from __future__ import annotations

import math
import re
import secrets
import time
from datetime import UTC, datetime
from decimal import Decimal

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.phone import InvalidNumber, check_msisdn, region_of
from nexmo_connector.rules import LANGUAGE_CODE, MAX_TTS_TEXT, is_digits, is_http_url
from nexmo_connector.sandbox.auth import strip_credentials
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.deps import answer, authorized
from nexmo_connector.sandbox.dispatch import new_webhook
from nexmo_connector.sandbox.pricing import call_rate, network_for
from nexmo_connector.sandbox.records import Account, Call
from nexmo_connector.sandbox.scenarios import Scenario, scenario_for
from nexmo_connector.sandbox.wire import InvalidParam, Params, WireError, int_param
from nexmo_connector.sandbox.wire_docs import WireRoute

RING_SECONDS = 4
WORDS_PER_SECOND = 2.5
DEFAULT_MACHINE_TIMEOUT = 10_000
UNANSWERED = ("failed", "blocked", "busy", "unanswered")
"""Scenarios in which nobody talks (the call costs nothing)."""
_TAGS = re.compile(r"<[^>]*>")


router = APIRouter(tags=["Nexmo APIs"], route_class=WireRoute)
caller_of = authorized("tts")


def rejected(status: int, text: str) -> WireError:
    """The call fails with one status (in HTTP 200, as Nexmo answers)."""
    return WireError(200, text, code=status)


def _choice(params: Params, name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name, "")
    if value == "":
        return None
    if value.lower() not in allowed:
        raise rejected(3, f"Invalid {name} param")
    return value.lower()


def validate(params: Params) -> Params:
    """The call's settings with defaults filled in, or a ``WireError``."""
    to = params.get("to", "")
    text = params.get("text", "")
    if not to:
        raise rejected(2, "Missing to param")
    if not text:
        raise rejected(2, "Missing text param")
    try:
        check_msisdn(to)
    except InvalidNumber:
        raise rejected(3, "Invalid to param") from None
    if len(text) > MAX_TTS_TEXT:
        raise rejected(3, "Invalid text param")
    sender = params.get("from", "")
    if sender and not is_digits(sender):
        raise rejected(3, "Invalid from param")
    lg = params.get("lg", "") or "en-us"
    if not LANGUAGE_CODE.fullmatch(lg):
        raise rejected(3, "Invalid lg param")
    settings = {
        "to": to,
        "text": text,
        "lg": lg,
        "voice": _choice(params, "voice", ("female", "male")) or "female",
        "repeat": str(_bounded(params, "repeat", 1, 10, 1, reset=False)),
        "machine_timeout": str(
            _bounded(params, "machine_timeout", 400, 10_000, DEFAULT_MACHINE_TIMEOUT, reset=True)
        ),
        "callback_method": (_choice(params, "callback_method", ("get", "post")) or "get").upper(),
    }
    detection = _choice(params, "machine_detection", ("true", "hangup"))
    if detection:
        settings["machine_detection"] = detection
    callback = params.get("callback", "")
    if callback:
        if not is_http_url(callback):
            raise rejected(3, "Invalid callback param")
        settings["callback"] = callback
    if sender:
        settings["from"] = sender
    return settings


def _bounded(params: Params, name: str, low: int, high: int, default: int, *, reset: bool) -> int:
    """An int in range; out of range it is refused, or reset to ``default`` (as Nexmo does)."""
    try:
        return int_param(params, name, low, high, default)
    except InvalidParam as exc:
        if reset and exc.reason.startswith("must be between"):
            return default
        raise rejected(3, f"Invalid {name} param") from None


def talk_seconds(text: str) -> int:
    """How long saying ``text`` once takes (SSML tags are not said)."""
    return max(1, math.ceil(len(_TAGS.sub(" ", text).split()) / WORDS_PER_SECOND))


def _outcome(settings: Params, scenario: Scenario) -> tuple[str, int]:
    """``(status, seconds talked)`` of the simulated call."""
    talk = talk_seconds(settings["text"]) * int(settings["repeat"])
    if scenario.call_status in UNANSWERED:
        return scenario.call_status, 0
    if scenario.call_status == "machine":
        detection = settings.get("machine_detection")
        if detection == "hangup":
            return "machine", 0
        return ("machine" if detection else "ok"), talk
    return "ok", talk


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y/%m/%d %H:%M:%S")


def place_call(
    sandbox: Sandbox, account: Account, params: Params
) -> tuple[dict[str, str], Scenario]:
    settings = validate(params)
    to = settings["to"]
    if account.barred:
        raise rejected(8, "Partner account barred")
    if account.balance <= 0:
        raise rejected(9, "Partner quota exceeded")
    scenario = scenario_for(to)
    status, seconds = _outcome(settings, scenario)
    country = region_of(to)
    rate = call_rate(country)
    price = (rate * seconds / 60).quantize(Decimal("0.00000001"))
    account.balance -= price
    sandbox.state.save_account(account)
    now = time.time()
    scale = sandbox.config.call_time_scale
    answered = now + (0 if status in ("failed", "blocked") else RING_SECONDS * scale)
    ends = answered + seconds * scale
    call = Call(
        call_id=secrets.token_hex(16),
        api_key=account.api_key,
        to=to,
        from_=settings.get("from"),
        text=settings["text"],
        params=strip_credentials(params) | settings,
        outcome=status,
        duration=seconds,
        rate=rate,
        price=price,
        network=network_for(to, country),
        ends_at=ends,
    )
    if "callback" in settings:
        payload = {
            "call_id": call.call_id,
            "to": to,
            "status": status,
            "call_direction": "out",
            "call_price": f"{price:.8f}",
            "call_rate": f"{rate:.8f}",
            "call_duration": str(seconds),
            "call_request": _stamp(now),
            "call_start": _stamp(answered),
            "call_end": _stamp(ends),
            "network_code": call.network,
        }
        method = settings["callback_method"]
        encoding = "query" if method == "GET" else "form"
        call.callbacks.append(
            new_webhook("call", call.call_id, settings["callback"], method, encoding, payload, ends)
        )
    sandbox.state.add_call(call)
    for webhook in call.callbacks:
        sandbox.webhooks.schedule(webhook)
    body = {"call_id": call.call_id, "to": to, "status": "0", "error_text": "Success"}
    return body, scenario


@router.post("/tts/json", operation_id="SendTts", summary="Send a speech call")
@router.get("/tts/json", operation_id="SendTtsByGet", summary="Send a speech call (GET)")
async def send_tts(request: Request) -> Response:
    """``POST|GET /tts/json``."""
    caller = await caller_of(request)
    return await answer(caller, *place_call(caller.sandbox, caller.account, caller.params))
