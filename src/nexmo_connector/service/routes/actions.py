"""The seed's nine actions under ``/v1/connections/{connection_id}``, its operationIds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from starlette.responses import Response

from nexmo_connector.models import (
    ApplicationRequest,
    ApplicationResponse,
    Common,
    SmsRequest,
    SmsResponse,
    TtsRequest,
    TtsResponse,
)
from nexmo_connector.service import operations
from nexmo_connector.service.answers import ApplicationsAnswer, NumbersAnswer
from nexmo_connector.service.deps import Context, OwnedConnection, Session
from nexmo_connector.service.docs import (
    LOCATION,
    PROBLEMS,
    RATE_HEADERS,
    IdempotencyKey,
    answer,
    body,
)

router = APIRouter(prefix="/v1/connections/{connection_id}", tags=["Actions"], responses=PROBLEMS)
JsonBody = Annotated[dict[str, Any], Body(include_in_schema=False)]
Pattern = Annotated[str | None, Query(title="Pattern", description="Number pattern to search for.")]
SearchPattern = Annotated[
    int | None,
    Query(title="Search Pattern", description="Pick a pattern: 0 starts, 1 contains, 2 ends."),
]
Index = Annotated[int | None, Query(title="Page Index", description="Index in the response.")]
ApplicationId = Annotated[
    str, Path(title="Application Id", description="Unique identifier of the application.")
]


def _query(request: Request) -> dict[str, Any]:
    """The list parameters as given (the client's models validate them)."""
    return dict(request.query_params)


def _base(request: Request, context: Context) -> str:
    return context.public_url + request.url.path


@router.post(
    "/sms",
    operation_id="SendSms",
    summary="Send an SMS",
    openapi_extra=body(SmsRequest),
    responses=answer(200, SmsResponse, "Nexmo's answer, one entry per part.", RATE_HEADERS),
)
async def send_sms(
    body: JsonBody,
    connection: OwnedConnection,
    session: Session,
    context: Context,
    key: IdempotencyKey = None,
) -> Response:
    """This operation is used to send an SMS."""
    return await operations.send_sms(context, session, connection, body, key)


@router.post(
    "/tts",
    operation_id="SendTts",
    summary="Send a speech file",
    openapi_extra=body(TtsRequest),
    responses=answer(200, TtsResponse, "Nexmo's answer.", RATE_HEADERS),
)
async def send_tts(
    body: JsonBody,
    connection: OwnedConnection,
    session: Session,
    context: Context,
    key: IdempotencyKey = None,
) -> Response:
    """This operation is used to send a synthesized speech or recorded sound file to a phone
    number."""
    return await operations.send_tts(context, session, connection, body, key)


@router.get(
    "/numbers/owned",
    operation_id="ListOwnedNumbers",
    summary="List owned numbers",
    responses=answer(200, NumbersAnswer, "A page of your numbers.", RATE_HEADERS),
)
async def list_owned_numbers(
    request: Request,
    connection: OwnedConnection,
    session: Session,
    context: Context,
    pattern: Pattern = None,
    search_pattern: SearchPattern = None,
    index: Index = None,
    size: Annotated[
        int | None, Query(title="Result Count", description="Default 10 Max 100.")
    ] = None,
) -> Response:
    """This operation retrieves all numbers associated with your account."""
    return await operations.list_numbers(
        context, session, connection, _query(request), _base(request, context), owned=True
    )


@router.get(
    "/numbers/inbound",
    operation_id="ListInboundNumbers",
    summary="List inbound numbers",
    responses=answer(200, NumbersAnswer, "A page of numbers for sale.", RATE_HEADERS),
)
async def list_inbound_numbers(
    request: Request,
    connection: OwnedConnection,
    session: Session,
    context: Context,
    country: Annotated[
        str, Query(title="Country", description="Code in ISO 3166-1 alpha-2 format.")
    ],
    pattern: Pattern = None,
    search_pattern: SearchPattern = None,
    features: Annotated[
        str | None, Query(title="Available Features", description="SMS or VOICE.")
    ] = None,
    size: Annotated[int | None, Query(title="Result Count", description="Default 10.")] = None,
    index: Index = None,
) -> Response:
    """This operation is used to retrieve all the inbound numbers that are available for a given
    country."""
    return await operations.list_numbers(
        context, session, connection, _query(request), _base(request, context), owned=False
    )


@router.get(
    "/applications",
    operation_id="ListApplications",
    summary="List applications",
    responses=answer(200, ApplicationsAnswer, "A page of your applications.", RATE_HEADERS),
)
async def list_applications(
    request: Request,
    connection: OwnedConnection,
    session: Session,
    context: Context,
    page_size: Annotated[
        int | None,
        Query(title="Result Count", description="Items returned on each call (Default 10)."),
    ] = None,
    page_index: Annotated[
        int | None, Query(title="Page Index", description="Offset from first page (Default 0).")
    ] = None,
) -> Response:
    """Retrieves a list of all applications associated with your account."""
    return await operations.list_applications(
        context, session, connection, _query(request), _base(request, context)
    )


@router.post(
    "/applications",
    operation_id="CreateApplication",
    status_code=201,
    summary="Create new application",
    openapi_extra=body(ApplicationRequest),
    responses=answer(
        201, ApplicationResponse, "The application, its private key shown this once.", LOCATION
    ),
)
async def create_application(
    body: JsonBody,
    connection: OwnedConnection,
    session: Session,
    context: Context,
    key: IdempotencyKey = None,
) -> Response:
    """This operation is used to create a new application in your account."""
    return await operations.create_application(context, session, connection, body, key)


@router.get(
    "/applications/{application_id}",
    operation_id="GetApplication",
    summary="Get application by Id",
    responses=answer(200, ApplicationResponse, "The application.", RATE_HEADERS),
)
async def get_application(
    application_id: ApplicationId, connection: OwnedConnection, session: Session, context: Context
) -> Response:
    """This operation is used to retrieve information about a single application, given its
    id."""
    return await operations.get_application(context, session, connection, application_id)


@router.put(
    "/applications/{application_id}",
    operation_id="UpdateApplication",
    summary="Update an application",
    openapi_extra=body(ApplicationRequest),
    responses=answer(200, ApplicationResponse, "The application.", RATE_HEADERS),
)
async def update_application(
    application_id: ApplicationId,
    body: JsonBody,
    connection: OwnedConnection,
    session: Session,
    context: Context,
) -> Response:
    """This operation is used to modify an existing application in your account."""
    return await operations.update_application(context, session, connection, application_id, body)


@router.delete(
    "/applications/{application_id}",
    operation_id="DeleteApplication",
    summary="Delete an application",
    responses=answer(200, Common, "Deleted.", RATE_HEADERS),
)
async def delete_application(
    application_id: ApplicationId, connection: OwnedConnection, session: Session, context: Context
) -> Response:
    """This operation is used to delete an existing application in your account."""
    return await operations.delete_application(context, session, connection, application_id)
