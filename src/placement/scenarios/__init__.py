"""Capacity scenarios, the area dashboard and national sweeps, for planners.

A scenario is "the same area with these changes" (``ProblemData.replace`` in PyVRP's terms):
:mod:`.spec` parses and validates the file, :mod:`.apply` derives the changed area,
:mod:`.run` runs baseline and scenario and the marginal value of one more place,
:mod:`.report` exports (HTML, CSV, JSON, with small counts suppressed), :mod:`.dashboard`
gives the inclusion-dashboard view of one allocation and :mod:`.sweep` runs a scenario over
every LA in England.
"""

from placement.scenarios.changes import Scenario
from placement.scenarios.spec import load_scenario, parse_scenario

__all__ = ["Scenario", "load_scenario", "parse_scenario"]
