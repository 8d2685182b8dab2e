"""Pages for families, officers and planners: GOV.UK Frontend, server-rendered (Jinja2),
in the same FastAPI app as the API. An adapter around the core, like the API."""

from placement.web.pages import install_pages

__all__ = ["install_pages"]
