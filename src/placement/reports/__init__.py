"""The planners' reports as HTML: the scenario report and the area dashboard, drawn from their
disclosure-controlled figures (:mod:`placement.scenarios.report`,
:mod:`placement.scenarios.dashboard`) with Jinja2 templates and GOV.UK Frontend's components
(the shared macros of :mod:`placement.html`).

- :mod:`.words`: figures in words (units, changes, better or worse, names for codes).
- :mod:`.changes`: a scenario's changes in words.
- :mod:`.charts`: bar charts laid out as a small typed model of shapes; ``chart.html`` draws
  them as inline SVG, each with its data as a table beside it.
- :mod:`.report` and :mod:`.dashboard`: each page's contents prepared in Python (no markup),
  shown by ``report.html`` and ``dashboard.html``: a fragment for the service's pages, and in
  ``document.html`` a file of its own (inline CSS and SVG, no scripts, nothing fetched).

Unlike the core, this package reads files: its own templates, shipped inside it. It imports no
web framework (Jinja2 is the pages' template engine, already a dependency), so the CLI writes
the same report offline that the service serves.
"""

from placement.reports.dashboard import dashboard_fragment, dashboard_html
from placement.reports.report import report_file, report_fragment, report_html

__all__ = [
    "dashboard_fragment",
    "dashboard_html",
    "report_file",
    "report_fragment",
    "report_html",
]
