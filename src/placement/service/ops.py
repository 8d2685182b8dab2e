"""Operations: security headers on every response, access logs by route template, the API
docs served from packaged assets, and the background parts (read auditing, the audit anchor).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from placement.service.anchor import AnchorWriter
from placement.service.reads import ReadAudit

__all__ = [
    "Ops",
    "RouteForLogs",
    "RouteTemplateFilter",
    "SecurityHeaders",
    "docs_router",
    "install_access_log",
]

DOCS_STATIC = "/docs/static"
# what every response says to browsers: never sniff a type, never be framed, send no referrer
BASE_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


@dataclass(eq=False)
class Ops:
    """The service's background parts, stopped at shutdown."""

    reads: ReadAudit
    anchor: AnchorWriter | None = None

    def start(self) -> None:
        """Start what runs in the background (again, if a lifespan stopped it before)."""
        if self.anchor is not None:
            self.anchor.start()

    def stop(self) -> None:
        self.reads.stop()  # its events are appended before the anchor's last write
        if self.anchor is not None:
            self.anchor.stop()


class SecurityHeaders:
    """Add the security headers to every response: ``nosniff``, no framing (CSP
    ``frame-ancestors 'none'`` and ``X-Frame-Options``), no referrer, and ``Cache-Control:
    no-store`` unless the route set its own (the docs' static assets may be cached). A
    route's own Content-Security-Policy is kept, with ``frame-ancestors 'none'`` added.
    HSTS belongs to the TLS-terminating proxy (docs/service.md, "Deploying")."""

    def __init__(self, app: ASGIApp, docs_csp: str) -> None:
        self.app, self.docs_csp = app, docs_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        docs = path == "/docs" or path.startswith("/docs/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS:
                    if name not in h:
                        h[name] = value
                csp = h.get("content-security-policy")
                if csp is None:
                    h["Content-Security-Policy"] = self.docs_csp if docs else API_CSP
                elif "frame-ancestors" not in csp:
                    h["Content-Security-Policy"] = f"{csp}; frame-ancestors 'none'"
                if "cache-control" not in h:
                    static = path.startswith(DOCS_STATIC + "/")
                    h["Cache-Control"] = "public, max-age=86400" if static else "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


# -- access logs ---------------------------------------------------------------------------

# the route template of the response being sent, for the access log record made meanwhile
_ROUTE: ContextVar[str | None] = ContextVar("placement_route", default=None)


class RouteForLogs:
    """While a response starts, note its route's template (``/areas/{area_id}/children/
    {child_id}``, or ``(no route)``) for :class:`RouteTemplateFilter`: uvicorn writes its
    access log line inside that ``send``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def noting_route(message: Message) -> None:
            if message["type"] != "http.response.start":
                await send(message)
                return
            path = getattr(scope.get("route"), "path", None)
            token = _ROUTE.set(path if isinstance(path, str) else "(no route)")
            try:
                await send(message)
            finally:
                _ROUTE.reset(token)

        await self.app(scope, receive, noting_route)


class RouteTemplateFilter(logging.Filter):
    """Rewrite uvicorn's access log records (``client - "METHOD path HTTP/v" status``): the
    path becomes the route's template and the query string is dropped, so no child id or
    filter value is logged. A record made outside a response of this app gets ``(path
    withheld)``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            template = _ROUTE.get() or "(path withheld)"
            record.args = (args[0], args[1], template, *args[3:])
        return True


_ACCESS_FILTER = RouteTemplateFilter()


def install_access_log() -> None:
    """Log paths as route templates in uvicorn's access log (however uvicorn is started)."""
    logger = logging.getLogger("uvicorn.access")
    if _ACCESS_FILTER not in logger.filters:
        logger.addFilter(_ACCESS_FILTER)


# -- API docs from packaged assets -----------------------------------------------------------

DocsAsset = Literal["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]


def docs_router(title: str, openapi_url: str) -> tuple[APIRouter, str]:
    """``/docs`` (Swagger UI from the swagger-ui-bundle package: nothing fetched from
    elsewhere) and its assets; returns the router and the page's Content-Security-Policy,
    which allows its one inline script by hash."""
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

    root = swagger_ui_path
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - docs",
        swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_STATIC}/favicon-32x32.png",
        oauth2_redirect_url=None,  # the password flow needs no redirect page
    ).body
    html = bytes(page).decode()
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    ]
    csp = (
        "default-src 'none'; "
        f"script-src 'self' {' '.join(hashes)}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    def docs() -> HTMLResponse:
        return HTMLResponse(html)

    @router.get(DOCS_STATIC + "/{name}")
    def asset(name: DocsAsset) -> FileResponse:
        return FileResponse(str(root / name))

    return router, csp
