"""CORS for the REST gateway, as Armada's ``allowCORS`` wrapper does it.

Only configured origins get CORS headers: the origin is echoed back (never ``*``,
because browsers send credentials), and a preflight (``OPTIONS`` with
``Access-Control-Request-Method``) is answered here, before routing, with the
methods and headers the API accepts. Any other origin gets no CORS headers at all,
so the browser refuses the response.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

ALLOWED_HEADERS = ("Content-Type", "Accept", "Authorization")
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")


def cors_middleware(allowed_origins: list[str]) -> Middleware:
    """A middleware applying Armada's CORS policy for ``allowed_origins``."""
    allowed = frozenset(allowed_origins)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin", "")
        if not origin or origin not in allowed:
            return await handler(request)
        headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            headers["Access-Control-Allow-Headers"] = ",".join(ALLOWED_HEADERS)
            headers["Access-Control-Allow-Methods"] = ",".join(ALLOWED_METHODS)
            return web.Response(status=200, headers=headers)
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # errors leave as exceptions; they need the headers too
            exc.headers.update(headers)
            raise
        if not response.prepared:  # a stream has sent its headers already (it adds them itself)
            response.headers.update(headers)
        return response

    return middleware


def cors_headers(request: web.Request, allowed_origins: list[str]) -> dict[str, str]:
    """The CORS headers a streaming response must carry before it is prepared."""
    origin = request.headers.get("Origin", "")
    if origin and origin in allowed_origins:
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
    return {}
