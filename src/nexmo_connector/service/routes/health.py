"""``/healthz``, ``/readyz`` and ``/metrics`` (public)."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from nexmo_connector.service.deps import Context
from nexmo_connector.service.docs import PROBLEMS

router = APIRouter(tags=["Operations"], responses=PROBLEMS)


@router.get("/healthz", operation_id="Health", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", operation_id="Ready", summary="The database answers")
async def readyz(context: Context) -> Response:
    try:
        async with context.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "detail": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics", operation_id="Metrics", summary="Prometheus metrics")
async def metrics(context: Context) -> Response:
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)
