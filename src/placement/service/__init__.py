"""The placement service: a FastAPI app over the core (lists, runs, placements, audit).

Import :func:`create_app` from :mod:`placement.service.app`; the core package never imports
this one, so ``import placement`` needs no web framework or database.
"""
