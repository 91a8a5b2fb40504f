"""The peer of the sandbox benchmark: a minimal Starlette app with a canned /sms/json answer."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CANNED = {
    "message-count": "1",
    "messages": [
        {
            "to": "447700900000",
            "message-id": "0A0000001234ABCD",
            "status": "0",
            "remaining-balance": "9.96670000",
            "message-price": "0.03330000",
            "network": "23410",
        }
    ],
}


async def sms(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse(CANNED)


app = Starlette(routes=[Route("/sms/json", sms, methods=["GET", "POST"])])
