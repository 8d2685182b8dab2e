"""Pages for families, officers and planners: GOV.UK Frontend, server-rendered (Jinja2),
mounted on the API's app by :mod:`placement.app`. An adapter: every read and write is a
call to a service function (:mod:`placement.service`), never to an API route."""

from placement.web.pages import csrf_protection, install_pages

__all__ = ["csrf_protection", "install_pages"]
