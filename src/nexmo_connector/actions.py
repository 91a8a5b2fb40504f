"""The nine actions as data: which request each makes and how its answer is read.

Shared by ``NexmoClient`` and ``AsyncNexmoClient``, which only differ in how they send.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import pydantic

from nexmo_connector import errors, voice
from nexmo_connector.models import (
    ApplicationRequest,
    ApplicationResponse,
    InboundNumbersRequest,
    ListApplicationsRequest,
    ListApplicationsResponse,
    ListNumbersResponse,
    Number,
    OwnedNumbersRequest,
    SmsPart,
    SmsRequest,
    SmsResponse,
    TtsRequest,
    TtsResponse,
    validated,
)
from nexmo_connector.transport import HttpResponse

T = TypeVar("T")
Auth = Literal["form", "basic", "bearer"]


@dataclass(frozen=True, slots=True)
class Action(Generic[T]):
    """One upstream call: where it goes, how credentials travel, how the answer is read.

    ``auth``: ``form`` puts ``api_key``/``api_secret`` (or a signature) among the form
    parameters; ``basic`` sends them in an ``Authorization`` header; ``bearer`` sends an
    application's JWT (the Voice API).

    ``creates`` marks calls that must not be repeated once they may have been read.
    ``done_when_gone``: a 404 after a retry means an earlier attempt did the work (a delete).
    """

    name: str
    method: str
    host: Literal["rest", "api"]
    path: str
    params: Mapping[str, str]
    auth: Auth
    creates: bool
    parse: Callable[[HttpResponse], T]
    signable: bool = False
    body: Mapping[str, Any] | None = None
    """A JSON body (the credentials then travel by Basic auth)."""
    done_when_gone: bool = False


M = TypeVar("M", bound=pydantic.BaseModel)


def _unreadable(response: HttpResponse, why: str) -> errors.ServerError:
    return errors.ServerError(
        f"unreadable answer (HTTP {response.status}, {len(response.body)} bytes): {why}",
        status_code=response.status,
    )


def read(model: type[M], response: HttpResponse) -> M:
    """The answer as ``model``; one that is not JSON, or JSON of another shape, is a
    ``ServerError`` (never a pydantic error): Nexmo may have acted on the request."""
    try:
        data = json.loads(response.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _unreadable(response, "not JSON") from None
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the body"
        raise _unreadable(response, f"{where}: {problem['msg']}") from None


def _retry_after(response: HttpResponse) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _message(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error-code-label", "detail", "error_text", "error-text", "type", "title"):
            if isinstance(body.get(key), str):
                return body[key]
    return "no details"


def _detail(response: HttpResponse) -> str:
    try:
        return _message(json.loads(response.body))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "no details"


def check_http(response: HttpResponse) -> None:
    """Raise the error an HTTP failure status means."""
    status = response.status
    if status < 400:
        return
    detail = _detail(response)
    if status == 429:
        raise errors.ThrottledError(
            f"throttled by Nexmo: {detail}", _retry_after(response), status_code=status
        )
    if status in (401, 403):
        raise errors.AuthenticationError(
            f"Nexmo refused the credentials: {detail}", status_code=status
        )
    if status == 404:
        raise errors.NotFoundError(f"not found: {detail}", status_code=status)
    if status >= 500:
        raise errors.ServerError(f"Nexmo failed with HTTP {status}: {detail}", status_code=status)
    raise errors.BadRequestError(
        f"Nexmo refused the request (HTTP {status}): {detail}", status_code=status
    )


_AUTH_STATUSES = (4, 14, 32)


def _raise_status(status: int, text: str, kind: type[errors.RejectedError]) -> None:
    if status == 1:
        raise errors.ThrottledError(f"throttled by Nexmo: {text}", status_code=200)
    if status in _AUTH_STATUSES:
        raise errors.AuthenticationError(f"Nexmo refused the credentials: {text}", status_code=200)
    raise kind(status, text)


def parse_sms(response: HttpResponse) -> SmsResponse:
    check_http(response)
    result = read(SmsResponse, response)
    failed = [m for m in result.messages if m.status != 0]
    if failed:
        accepted: list[SmsPart] = [m for m in result.messages if m.status == 0]
        first = failed[0]
        text = first.error_text or "no details"
        if accepted:
            raise errors.SmsRejectedError(first.status, text, accepted)
        _raise_status(first.status, text, errors.SmsRejectedError)
    return result


def parse_tts(response: HttpResponse) -> TtsResponse:
    check_http(response)
    result = read(TtsResponse, response)
    if result.status != 0:
        _raise_status(result.status, result.error_text or "no details", errors.CallRejectedError)
    return result


def parse_as(model: type[M]) -> Callable[[HttpResponse], M]:
    """The parser of an answer that is ``model`` when it succeeds."""

    def parse(response: HttpResponse) -> M:
        check_http(response)
        return read(model, response)

    return parse


parse_numbers = parse_as(ListNumbersResponse)
parse_application = parse_as(ApplicationResponse)
parse_applications = parse_as(ListApplicationsResponse)


def parse_deleted(response: HttpResponse) -> None:
    check_http(response)


def send_sms(request: SmsRequest) -> Action[SmsResponse]:
    return Action(
        "send_sms", "POST", "rest", "/sms/json", request.to_wire(), "form", True, parse_sms, True
    )


def send_tts(request: TtsRequest) -> Action[TtsResponse]:
    return Action(
        "send_tts", "POST", "api", "/tts/json", request.to_wire(), "form", True, parse_tts, True
    )


_CALL_REFUSALS = {402: 9, 403: 8}
"""Voice API refusals as the seed's ttsResponse statuses: 9 quota exceeded, 8 barred."""


class _CreatedCall(pydantic.BaseModel):
    uuid: str
    status: str
    direction: str | None = None
    conversation_uuid: str | None = None


def parse_call(to: str) -> Callable[[HttpResponse], TtsResponse]:
    """A Voice API call's answer as the seed's ``ttsResponse`` (``call_id``: its uuid
    without dashes; ``uuid`` and ``conversation_uuid`` kept as extra fields)."""

    def parse(response: HttpResponse) -> TtsResponse:
        if response.status in _CALL_REFUSALS:  # the legacy API's statuses for the same refusal
            status = _CALL_REFUSALS[response.status]
            raise errors.CallRejectedError(status, _detail(response))
        check_http(response)
        call = read(_CreatedCall, response)
        return TtsResponse(
            call_id=call.uuid.replace("-", ""), to=to, status=0, error_text="Success",
            uuid=call.uuid, conversation_uuid=call.conversation_uuid,
        )  # fmt: skip

    return parse


def send_call(request: TtsRequest) -> Action[TtsResponse]:
    """Send a speech file through the Voice API (the seed's parameters mapped, or refused)."""
    return Action(
        "send_tts", "POST", "api", "/v1/calls", {}, "bearer", True, parse_call(request.to),
        body=voice.call_body(request),
    )  # fmt: skip


def list_owned_numbers(request: OwnedNumbersRequest) -> Action[ListNumbersResponse]:
    wire = request.to_wire()
    return Action(
        "list_owned_numbers", "GET", "rest", "/account/numbers", wire, "basic", False, parse_numbers
    )


def list_inbound_numbers(request: InboundNumbersRequest) -> Action[ListNumbersResponse]:
    wire = request.to_wire()
    return Action(
        "list_inbound_numbers", "GET", "rest", "/number/search", wire, "basic", False, parse_numbers
    )


# Applications go through the v2 API: Basic auth keeps the secret out of URLs (v1 wants it
# in the query string of GET and DELETE, where proxies and debug logs record it).
APPLICATIONS = "/v2/applications"


def list_applications(request: ListApplicationsRequest) -> Action[ListApplicationsResponse]:
    params = {"page_size": str(request.page_size or 10), "page": str((request.page_index or 0) + 1)}
    return Action(
        "list_applications", "GET", "api", APPLICATIONS, params, "basic", False, parse_applications
    )


def get_application(application_id: str) -> Action[ApplicationResponse]:
    path = f"{APPLICATIONS}/{application_id}"
    return Action("get_application", "GET", "api", path, {}, "basic", False, parse_application)


def create_application(request: ApplicationRequest) -> Action[ApplicationResponse]:
    return Action(
        "create_application", "POST", "api", APPLICATIONS, {}, "basic", True, parse_application,
        body=request.to_v2(),
    )  # fmt: skip


def update_application(
    application_id: str, request: ApplicationRequest
) -> Action[ApplicationResponse]:
    path = f"{APPLICATIONS}/{application_id}"
    return Action(
        "update_application", "PUT", "api", path, {}, "basic", False, parse_application,
        body=request.to_v2(),
    )  # fmt: skip


def delete_application(application_id: str) -> Action[None]:
    path = f"{APPLICATIONS}/{application_id}"
    return Action(
        "delete_application", "DELETE", "api", path, {}, "basic", False, parse_deleted,
        done_when_gone=True,
    )  # fmt: skip


# -- pages ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Pages(Generic[T]):
    """A walk over every page of a list action: ``page(index)`` builds the action of one
    page, ``items`` reads its entries and the total; indexes count from ``first``."""

    page: Callable[[int], Action[Any]]
    items: Callable[[Any], tuple[list[T], int]]
    first: int

    def next_index(self, index: int, seen: int, got: int, total: int) -> int | None:
        """The index of the page after ``index``, or None when every item was seen."""
        return index + 1 if got > 0 and seen < total else None


def _numbers(page: ListNumbersResponse) -> tuple[list[Number], int]:
    return page.numbers, page.count


def _applications(page: ListApplicationsResponse) -> tuple[list[ApplicationResponse], int]:
    return page.applications, page.count


def owned_number_pages(filters: Mapping[str, Any]) -> Pages[Number]:
    def page(index: int) -> Action[ListNumbersResponse]:
        return list_owned_numbers(validated(OwnedNumbersRequest, index=index, **filters))

    page(1)  # validates the filters before the first request
    return Pages(page, _numbers, 1)


def inbound_number_pages(filters: Mapping[str, Any]) -> Pages[Number]:
    def page(index: int) -> Action[ListNumbersResponse]:
        return list_inbound_numbers(validated(InboundNumbersRequest, index=index, **filters))

    page(1)
    return Pages(page, _numbers, 1)


def application_pages(page_size: int) -> Pages[ApplicationResponse]:
    def page(index: int) -> Action[ListApplicationsResponse]:
        request = validated(ListApplicationsRequest, page_size=page_size, page_index=index)
        return list_applications(request)

    page(0)
    return Pages(page, _applications, 0)
