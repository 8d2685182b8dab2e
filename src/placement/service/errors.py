"""One error shape for every failure: RFC 9457 problem details (``application/problem+json``).

Domain errors raised by service functions map to HTTP here, in one place. A genuine bug is
logged with its traceback and answered with a bare 500 problem (no internals leak).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "ConflictError",
    "ForbiddenError",
    "InvalidError",
    "NotFoundError",
    "ServiceError",
    "UnauthorisedError",
    "UnavailableError",
    "database_unavailable",
    "install_handlers",
    "problem",
    "route_template",
]

log = logging.getLogger("placement.service")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://placement.example/problems/"
RETRY_AFTER_S = 2  # what a 503 for a database outage or lock timeout asks the client to wait


class ServiceError(Exception):
    """A client-facing error: HTTP status, a short title, a detail, an optional type slug."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(
        self, detail: str, *, slug: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        if slug:
            self.slug = slug


class NotFoundError(ServiceError):
    status, title, slug = 404, "Not found", "not-found"


class ForbiddenError(ServiceError):
    status, title, slug = 403, "ForbiddenError", "forbidden"


class UnauthorisedError(ServiceError):
    status, title, slug = 401, "Not authenticated", "unauthorised"


class ConflictError(ServiceError):
    status, title, slug = 409, "ConflictError", "conflict"


class InvalidError(ServiceError):
    status, title, slug = 422, "Unprocessable content", "invalid"


class UnavailableError(ServiceError):
    status, title, slug = 503, "Service unavailable", "unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(_encodable(body), status_code=status, media_type=PROBLEM, headers=headers)


def _encodable(v: Any) -> Any:
    """``v`` with every lone surrogate in its text written as an escape: a message that
    quotes the caller's input must still encode as UTF-8."""
    if isinstance(v, str):
        return v.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(v, list):
        return [_encodable(x) for x in v]
    if isinstance(v, dict):
        return {_encodable(k): _encodable(x) for k, x in v.items()}
    return v


def route_template(request: Request) -> str:
    """The matched route's template (``/areas/{area_id}/children/{child_id}``), never the
    raw path: logs name no child."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "(no route)"


# SQLite raises OperationalError for syntax errors and missing tables too (bugs): only these
# mean the database is busy or cannot be used just now
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
    "readonly database",
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached or did not answer in time (an
    outage, a connection killed, a lock held too long, the pool exhausted), as opposed to a
    bug in a statement."""
    if isinstance(exc, (sa_exc.TimeoutError, sa_exc.DisconnectionError)):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    if isinstance(exc.orig, sqlite3.Error):
        message = str(exc.orig).lower()
        return any(m in message for m in _SQLITE_UNAVAILABLE)
    return True  # PostgreSQL: connection failures, admin shutdown, lock and statement timeouts


def _jsonable(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


def install_handlers(app: FastAPI) -> None:
    async def service_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceError)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(
            exc.status,
            exc.title,
            exc.detail,
            slug=exc.slug,
            instance=request.url.path,
            headers=headers,
            **exc.extra,
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else None
        return problem(
            exc.status_code,
            _TITLES.get(exc.status_code, "Error"),
            str(exc.detail),
            instance=request.url.path,
            headers=headers,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        return problem(
            422,
            "Unprocessable content",
            f"{'.'.join(first['loc'])}: {first['msg']}",
            slug="validation",
            instance=request.url.path,
            errors=_jsonable(errors),
        )

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, sa_exc.DataError):  # input validation let through what cannot be
            log.warning(  # stored (a number out of range, NUL in text): say so, not 500
                "unstorable value on %s %s", request.method, route_template(request)
            )
            return problem(
                422,
                "Unprocessable content",
                "a value could not be stored (a number out of range or a control character)",
                slug="unstorable",
                instance=request.url.path,
            )
        if not database_unavailable(exc):
            return await bug(request, exc)
        orig = getattr(exc, "orig", None) or exc
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            route_template(request),
            type(orig).__name__,
        )
        return problem(
            503,
            "Service unavailable",
            "the database is unavailable or busy; try again shortly",
            slug="database-unavailable",
            instance=request.url.path,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        # the route's template, not its path (no child id); SQL parameters are never in the
        # message (the engine hides them)
        log.exception("unhandled error on %s %s", request.method, route_template(request))
        return problem(500, "Internal server error", "an unexpected error; it has been logged")

    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(sa_exc.DBAPIError, database_error)
    app.add_exception_handler(sa_exc.TimeoutError, database_error)
    app.add_exception_handler(sa_exc.DisconnectionError, database_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, bug)


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "ForbiddenError",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "ConflictError",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
}
