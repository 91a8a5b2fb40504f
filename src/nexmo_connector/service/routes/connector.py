"""``/v1/connector/*``: the Power Platform custom connector's files, public (contract §9)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from nexmo_connector.service import powerplatform
from nexmo_connector.service.connector_export import documents
from nexmo_connector.service.deps import Context
from nexmo_connector.service.icon import icon_png

router = APIRouter(prefix="/v1/connector", tags=["Power Platform"])


@router.get(
    "/apiDefinition.swagger.json",
    operation_id="GetConnectorDefinition",
    summary="The custom connector's Swagger 2.0 definition",
)
async def definition(request: Request, context: Context) -> Any:
    """Import it in the maker portal, or with `paconn create`."""
    return documents(request.app.openapi(), context.public_url)[0]


@router.get(
    "/apiProperties.json",
    operation_id="GetConnectorProperties",
    summary="The custom connector's properties (for paconn)",
)
async def properties(request: Request, context: Context) -> Any:
    """The connection's parameter (your service token) and the paging policy."""
    return documents(request.app.openapi(), context.public_url)[1]


@router.get(
    "/icon.png",
    operation_id="GetConnectorIcon",
    summary="The custom connector's icon",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "A square PNG."}},
)
async def icon() -> Response:
    return Response(icon_png(powerplatform.BRAND_COLOR), media_type="image/png")
