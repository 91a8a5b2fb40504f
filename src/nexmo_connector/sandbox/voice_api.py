"""``/v1/calls``: the Voice API's outbound calls with an NCCO of ``talk`` actions,
authenticated by an application's JWT, simulated like ``/tts/json`` (compressed call time,
the magic numbers' outcomes) and reported to the event URL as Voice API events."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.phone import InvalidNumber, check_msisdn, region_of
from nexmo_connector.rules import MAX_TTS_TEXT, is_http_url
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.deps import json_body
from nexmo_connector.sandbox.dispatch import new_webhook
from nexmo_connector.sandbox.pricing import call_rate, network_for
from nexmo_connector.sandbox.records import Account, Application, Call, CallStep
from nexmo_connector.sandbox.scenarios import Scenario, scenario_for
from nexmo_connector.sandbox.tts_api import RING_SECONDS, talk_seconds
from nexmo_connector.sandbox.voice_auth import application_of
from nexmo_connector.sandbox.wire import WireError, json_response
from nexmo_connector.sandbox.wire_docs import WireRoute
from nexmo_connector.voice import STYLES

router = APIRouter(tags=["Nexmo APIs"], route_class=WireRoute)
CALL_KEYS = frozenset((
    "to", "from", "random_from_number", "ncco", "answer_url", "answer_method", "event_url",
    "event_method", "machine_detection", "advanced_machine_detection", "length_timer",
    "ringing_timer",
))  # fmt: skip
TALK_KEYS = frozenset(
    ("action", "text", "language", "style", "loop", "level", "premium", "bargeIn")
)
MAX_LENGTH = 7200
STEP = 0.02
"""Seconds at least between two statuses of a call."""


class Invalid(Exception):
    """A bad parameter: the Voice API answers 400 with it in ``invalid_parameters``."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name, self.reason = name, reason

    def wire(self) -> WireError:
        return WireError(400, f"Invalid parameter: {self.name} {self.reason}",
                         invalid=[{"name": self.name, "reason": self.reason}])  # fmt: skip


def _whole(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(name, f"must be a whole number from {low} to {high}")
    return value


def _phone(value: object, name: str) -> str:
    if not isinstance(value, dict) or value.get("type", "phone") != "phone":
        raise Invalid(name, "must be a phone endpoint: {type: phone, number}")
    number = value.get("number")
    number = number if isinstance(number, str) else ""
    try:
        check_msisdn(number)
        return number
    except InvalidNumber as exc:
        raise Invalid(f"{name}.number", str(exc)) from None


def _talk(action: object, where: str) -> dict[str, Any]:
    if not isinstance(action, dict):
        raise Invalid(where, "must be an object")
    if action.get("action") != "talk":
        raise Invalid(f"{where}.action", "the sandbox runs talk actions only")
    unknown = sorted(set(action) - TALK_KEYS)
    if unknown:
        raise Invalid(f"{where}.{unknown[0]}", "is not a talk option")
    text = action.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_TTS_TEXT:
        raise Invalid(f"{where}.text", f"must be 1 to {MAX_TTS_TEXT} characters")
    language = action.get("language", "en-US")
    if language not in STYLES:
        raise Invalid(f"{where}.language", "is not a supported text-to-speech language")
    style = _whole(action, "style", 0, 99)
    loop = _whole(action, "loop", 0, 100)
    level = action.get("level", 0)
    if isinstance(level, bool) or not isinstance(level, int | float) or not -1 <= level <= 1:
        raise Invalid(f"{where}.level", "must be a number from -1 to 1")
    for flag in ("premium", "bargeIn"):
        if flag in action and not isinstance(action[flag], bool):
            raise Invalid(f"{where}.{flag}", "must be true or false")
    return {"text": text, "language": language, "style": style or 0, "loop": 1 if loop is None
            else loop}  # fmt: skip


def validate(body: dict[str, Any]) -> dict[str, Any]:
    """The call's settings, or ``Invalid`` naming the first bad parameter."""
    unknown = sorted(set(body) - CALL_KEYS)
    if unknown:
        raise Invalid(unknown[0], "is not a parameter of a call")
    to = body.get("to")
    if not isinstance(to, list) or len(to) != 1:
        raise Invalid("to", "must list exactly one endpoint")
    settings: dict[str, Any] = {"to": _phone(to[0], "to[0]")}
    if "from" in body and body.get("random_from_number"):
        raise Invalid("from", "cannot be given with random_from_number")
    if "from" in body:
        settings["from"] = _phone(body["from"], "from")
    elif body.get("random_from_number") is not True:
        raise Invalid("from", "is required unless random_from_number is true")
    if "answer_url" in body:
        raise Invalid("answer_url", "the sandbox runs an NCCO given inline (ncco)")
    ncco = body.get("ncco")
    if not isinstance(ncco, list) or not ncco:
        raise Invalid("ncco", "must be a list of actions")
    settings["talks"] = [_talk(action, f"ncco[{i}]") for i, action in enumerate(ncco)]
    event_url = body.get("event_url")
    if event_url is not None:
        if (
            not isinstance(event_url, list)
            or len(event_url) != 1
            or not (isinstance(event_url[0], str) and is_http_url(event_url[0]))
        ):
            raise Invalid("event_url", "must list one http(s) URL")
        settings["event_url"] = event_url[0]
    method = body.get("event_method", "POST")
    if method not in ("GET", "POST"):
        raise Invalid("event_method", "must be GET or POST")
    settings["event_method"] = method
    detection = body.get("machine_detection")
    if detection not in (None, "continue", "hangup"):
        raise Invalid("machine_detection", "must be continue or hangup")
    settings["machine_detection"] = detection
    settings["length_timer"] = _whole(body, "length_timer", 1, MAX_LENGTH) or MAX_LENGTH
    _whole(body, "ringing_timer", 1, 120)
    return settings


def _talk_seconds(talks: list[dict[str, Any]], length_timer: int) -> int:
    """How long the NCCO talks (a loop of 0 repeats until the length timer ends the call)."""
    if any(talk["loop"] == 0 for talk in talks):
        return length_timer
    return min(sum(talk_seconds(t["text"]) * t["loop"] for t in talks), length_timer)


def _steps(scenario: Scenario, detection: str | None, now: float, ring: float, talk: float) -> (
    tuple[list[tuple[str, float]], bool]
):  # fmt: skip
    """The call's statuses with their times, and whether its NCCO talked (and is billed).
    Statuses are ``STEP`` apart at least (their webhooks also wait for each other)."""
    outcome = scenario.call_status
    if outcome in ("failed", "blocked"):
        return [
            ("started", now),
            ("failed" if outcome == "failed" else "rejected", now + STEP),
        ], False
    ringing, rung = [("started", now), ("ringing", now + STEP)], now + STEP + max(ring, STEP)
    if outcome in ("busy", "unanswered"):
        return [*ringing, (outcome, rung)], False
    answered = [*ringing, ("answered", rung)]
    if outcome == "machine" and detection is not None:
        answered.append(("machine", rung + STEP))
        if detection == "hangup":
            return [*answered, ("completed", rung + 2 * STEP)], False
        rung += STEP
    return [*answered, ("completed", rung + max(talk, STEP))], True


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")  # fmt: skip


def _event_target(application: Application, settings: dict[str, Any]) -> tuple[str, str] | None:
    """The call's own event URL, else its application's (with that webhook's method)."""
    if "event_url" in settings:
        return settings["event_url"], settings["event_method"]
    hook = application.capabilities.get("voice", {}).get("webhooks", {}).get("event_url")
    if isinstance(hook, dict) and hook.get("address"):
        return hook["address"], hook.get("http_method", "POST")
    return None


def _from_number(sandbox: Sandbox, account: Account, settings: dict[str, Any]) -> str:
    if "from" in settings:
        return str(settings["from"])
    owned = [n.msisdn for n in sandbox.state.numbers.values() if n.api_key == account.api_key]
    if not owned:
        raise Invalid("random_from_number", "the account owns no number to call from").wire()
    return owned[0]


def place(
    sandbox: Sandbox, application: Application, account: Account, body: dict[str, Any]
) -> tuple[Call, dict[str, Any]]:
    """Validate, bill and schedule a call; the call and the ``201`` answer."""
    try:
        settings = validate(body)
    except Invalid as bad:
        raise bad.wire() from None
    if account.barred:
        raise WireError(403, "Account barred")
    if account.balance <= 0:
        raise WireError(402, "Insufficient balance")
    to, sender = settings["to"], _from_number(sandbox, account, settings)
    scenario = scenario_for(to)
    scale, now = sandbox.config.call_time_scale, time.time()
    talk = _talk_seconds(settings["talks"], settings["length_timer"])
    steps, talked = _steps(
        scenario, settings["machine_detection"], now, RING_SECONDS * scale, talk * scale
    )
    seconds = talk if talked else 0
    country = region_of(to)
    rate = call_rate(country)
    price = (rate * seconds / 60).quantize(Decimal("0.00000001"))
    account.balance -= price
    sandbox.state.save_account(account)
    call_uuid = str(uuid.uuid4())
    call = Call(
        call_id=call_uuid.replace("-", ""),
        api_key=account.api_key,
        to=to,
        from_=sender,
        text=" ".join(t["text"] for t in settings["talks"]),
        params=_recorded(settings),
        outcome=steps[-1][0],
        duration=seconds,
        rate=rate,
        price=price,
        network=network_for(to, country),
        ends_at=steps[-1][1],
        api="voice",
        uuid=call_uuid,
        conversation_uuid="CON-" + str(uuid.uuid4()),
        application_id=application.id,
        steps=[CallStep(status=status, at=at) for status, at in steps],
    )
    target = _event_target(application, settings)
    if target is not None:
        url, method = target
        encoding = "query" if method == "GET" else "json"
        for step in call.steps:
            payload = event_payload(call, step.status, step.at)
            event = new_webhook("call", call.call_id, url, method, encoding, payload, step.at)
            event.after = call.callbacks[-1].id if call.callbacks else None
            call.callbacks.append(event)
    sandbox.state.add_call(call)
    for webhook in call.callbacks:
        sandbox.webhooks.schedule(webhook)
    answer = {"uuid": call_uuid, "status": "started", "direction": "outbound",
              "conversation_uuid": call.conversation_uuid}  # fmt: skip
    return call, answer


def _recorded(settings: dict[str, Any]) -> dict[str, str]:
    first = settings["talks"][0]
    recorded = {"to": settings["to"], "language": first["language"], "style": str(first["style"]),
                "loop": str(first["loop"]), "event_method": settings["event_method"]}  # fmt: skip
    for name in ("from", "event_url", "machine_detection"):
        if settings.get(name):
            recorded[name] = str(settings[name])
    return recorded


def event_payload(call: Call, status: str, at: float) -> dict[str, str]:
    """A Voice API event as Vonage sends it (``completed`` with duration and price)."""
    payload = {
        "from": call.from_ or "", "to": call.to, "uuid": call.uuid or "",
        "conversation_uuid": call.conversation_uuid or "", "status": status,
        "direction": "outbound", "timestamp": _iso(at),
    }  # fmt: skip
    if status == "completed":
        answered = next((s.at for s in call.steps if s.status == "answered"), at)
        payload |= {
            "start_time": _iso(answered), "end_time": _iso(at), "duration": str(call.duration),
            "rate": f"{call.rate:.8f}", "price": f"{call.price or 0:.8f}",
            "network": call.network, "disconnected_by": "platform",
        }  # fmt: skip
    return payload


def call_view(call: Call, base: str) -> dict[str, Any]:
    """``GET /v1/calls/{uuid}``: the call as of now."""
    now = time.time()
    status = call.status_at(now)
    view: dict[str, Any] = {
        "uuid": call.uuid, "conversation_uuid": call.conversation_uuid,
        "to": {"type": "phone", "number": call.to},
        "from": {"type": "phone", "number": call.from_ or ""},
        "status": status, "direction": "outbound", "start_time": _iso(call.created_at),
        "network": call.network, "_links": {"self": {"href": f"{base}/v1/calls/{call.uuid}"}},
    }  # fmt: skip
    if status == "completed":
        view |= {"rate": f"{call.rate:.8f}", "price": f"{call.price or 0:.8f}",
                 "duration": str(call.duration), "end_time": _iso(call.ends_at)}  # fmt: skip
    return view


@router.post("/v1/calls", operation_id="CreateCall", summary="Create an outbound call")
async def create_call(request: Request) -> Response:
    """``POST /v1/calls`` with ``Authorization: Bearer <application JWT>``."""
    sandbox: Sandbox = request.app.state.sandbox
    application, account = application_of(sandbox.state, request)
    wait = sandbox.rate_limits.retry_after("tts", account.api_key)
    if wait is not None:
        raise WireError(429, "Rate limit hit. Please wait and try again.", retry_after=wait)
    call, answer = place(sandbox, application, account, await json_body(request))
    if scenario_for(call.to).slow:  # the "slow upstream" number
        await asyncio.sleep(sandbox.config.slow_seconds)
    return json_response(answer, 201)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _calls_of(sandbox: Sandbox, account: Account) -> list[Call]:
    return [c for c in sandbox.state.calls.values()
            if c.api == "voice" and c.api_key == account.api_key]  # fmt: skip


@router.get("/v1/calls/{call_uuid}", operation_id="GetCall", summary="One call")
async def get_call(request: Request, call_uuid: str) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    _, account = application_of(sandbox.state, request)
    call = sandbox.state.calls.get(call_uuid.replace("-", "")[:64])
    if call is None or call.api != "voice" or call.api_key != account.api_key:
        raise WireError(404, f"Call {call_uuid[:64]} was not found")
    return json_response(call_view(call, _base(request)))


@router.get("/v1/calls", operation_id="ListCalls", summary="Calls, filtered")
async def list_calls(request: Request) -> Response:
    """Filters: ``status``, ``date_start``, ``date_end``, ``conversation_uuid``, ``order``;
    paging with ``page_size`` (1–100) and ``record_index``."""
    sandbox: Sandbox = request.app.state.sandbox
    _, account = application_of(sandbox.state, request)
    query = request.query_params
    try:
        size = _query_whole(query.get("page_size", "10"), "page_size", 1, 100)
        start = _query_whole(query.get("record_index", "0"), "record_index", 0, 10**9)
        since = _when(query.get("date_start"), "date_start")
        until = _when(query.get("date_end"), "date_end")
    except Invalid as bad:
        raise bad.wire() from None
    now, base = time.time(), _base(request)
    calls = [
        c for c in _calls_of(sandbox, account)
        if query.get("status") in (None, c.status_at(now))
        and query.get("conversation_uuid") in (None, c.conversation_uuid)
        and (since is None or c.created_at >= since) and (until is None or c.created_at <= until)
    ]  # fmt: skip
    calls.sort(key=lambda c: c.created_at, reverse=query.get("order", "asc") == "desc")
    page = calls[start : start + size]
    links: dict[str, Any] = {"self": {"href": f"{base}/v1/calls?record_index={start}"}}
    if start + size < len(calls):
        links["next"] = {"href": f"{base}/v1/calls?record_index={start + size}"}
    return json_response({
        "count": len(calls), "page_size": size, "record_index": start, "_links": links,
        "_embedded": {"calls": [call_view(c, base) for c in page]},
    })  # fmt: skip


def _query_whole(value: str, name: str, low: int, high: int) -> int:
    if not value.isdigit() or not value.isascii() or not low <= int(value) <= high:
        raise Invalid(name, f"must be a whole number from {low} to {high}")
    return int(value)


def _when(value: str | None, name: str) -> float | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise Invalid(name, "must be an ISO 8601 time") from None
