"""One error shape for every failure: RFC 9457 problem details (``application/problem+json``).

Domain errors raised by service functions map to HTTP here, in one place. A genuine bug is
logged with its traceback and answered with a bare 500 problem (no internals leak).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "ConflictError",
    "ForbiddenError",
    "InvalidError",
    "NotFoundError",
    "ServiceError",
    "UnauthorisedError",
    "install_handlers",
    "problem",
]

log = logging.getLogger("placement.service")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://placement.example/problems/"


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
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


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

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal server error", "an unexpected error; it has been logged")

    app.add_exception_handler(ServiceError, service_error)
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
