"""``/v1/connector/*``: the Power Platform custom connector's files, public (contract §9)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from nexmo_connector.service import powerplatform
from nexmo_connector.service.connector_export import documents
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.deps import Context
from nexmo_connector.service.icon import icon_png

router = APIRouter(prefix="/v1/connector", tags=["Power Platform"])


def _documents(request: Request, context: ServiceContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """Made on the first request and kept: the routes and the public URL never change while
    the service runs (and these paths are public: a request must cost next to nothing)."""
    state = request.app.state
    if getattr(state, "connector_documents", None) is None:
        state.connector_documents = documents(request.app.openapi(), context.public_url)
    made: tuple[dict[str, Any], dict[str, Any]] = state.connector_documents
    return made


@router.get(
    "/apiDefinition.swagger.json",
    operation_id="GetConnectorDefinition",
    summary="The custom connector's Swagger 2.0 definition",
)
async def definition(request: Request, context: Context) -> Any:
    """Import it in the maker portal, or with `paconn create`."""
    return _documents(request, context)[0]


@router.get(
    "/apiProperties.json",
    operation_id="GetConnectorProperties",
    summary="The custom connector's properties (for paconn)",
)
async def properties(request: Request, context: Context) -> Any:
    """The connection's parameter (your service token) and the paging policy."""
    return _documents(request, context)[1]


@router.get(
    "/icon.png",
    operation_id="GetConnectorIcon",
    summary="The custom connector's icon",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "A square PNG."}},
)
async def icon() -> Response:
    return Response(icon_png(powerplatform.BRAND_COLOR), media_type="image/png")
