"""The whole service as one ASGI app: the API (:mod:`placement.service`) with the pages for
people (:mod:`placement.web`) mounted on it. The service knows nothing of its pages; this
module is the only one that knows both."""

from __future__ import annotations

from fastapi import FastAPI

from placement.service.api import create_api
from placement.service.settings import Settings, get_settings
from placement.web import csrf_protection, install_pages

__all__ = ["create_app", "create_app_from_env"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API and the pages on one app: the pages' routes and error pages after the API's
    (they wrap its error handlers), and the pages' forms CSRF-protected."""
    app = create_api(settings)
    install_pages(app)
    app.wrappers.append(csrf_protection("csrf:" + app.state.ctx.secret))
    return app


def create_app_from_env() -> FastAPI:
    """``create_app`` with the settings from the environment: the factory each of
    ``placement serve --workers N``'s processes calls (uvicorn ``--factory``)."""
    return create_app(get_settings())
