"""One way to render GOV.UK Frontend HTML: Jinja2 templates over the shared components.

The service's pages (:mod:`placement.web`) and the planners' reports and dashboard
(:mod:`placement.reports`) each keep their own templates and share ``templates/macros.html``
here: GOV.UK Frontend's components (tables, summary lists, tags, inset text, details, form
fields...) as Jinja2 macros with the markup of the Nunjucks ones. A template imports them as
``{% from "macros.html" import table, tag %}``.

Every environment escapes every value it renders (autoescape on, whatever the template's
name); markup enters only through the templates themselves or a ``Markup`` a template made.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined

__all__ = ["SHARED", "environment"]

SHARED = Path(__file__).parent / "templates"


def environment(*folders: Path, strict: bool = False) -> Environment:
    """A Jinja2 environment over ``folders`` (searched first, in order) and the shared
    templates, with autoescape on.

    Parameters
    ----------
    folders
        The caller's own template folders; a name found there wins over a shared one.
    strict
        Fail on an undefined name (``StrictUndefined``) instead of rendering it empty: for
        templates whose every value comes from a typed model.
    """
    return Environment(
        loader=FileSystemLoader([*folders, SHARED]),
        autoescape=True,
        undefined=StrictUndefined if strict else Undefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=False,
    )
