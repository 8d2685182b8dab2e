"""What planners may see of counts of children: the service's use of
:mod:`placement.disclosure` (counts of 1 to 9 withheld, others rounded), in one place for
every feature that shows planners a count, a run's metrics or an audit event."""

from __future__ import annotations

from collections import Counter
from typing import Any

from placement import disclosure
from placement.scenarios.report import export_metrics
from placement.service.security import Principal

__all__ = [
    "PLANNER_RUN_ERROR",
    "counts",
    "planner_details",
    "planner_metrics",
    "shown",
]

# a failed run's error can name a child ("C01 at S1: fails ..."): planners see that it failed
PLANNER_RUN_ERROR = "the run failed; a placement officer can see why"


def shown(n: int, who: Principal, bound: int | None = None) -> int | str:
    """A count of children as the caller may see it: exact for officers, else disclosure;
    never rounded past ``bound`` (places: the capacity less the roll)."""
    if who.role == "officer":
        return n
    return disclosure.count(n) if bound is None else disclosure.count_within(n, bound)


def counts(by: Counter[str] | dict[str, int]) -> dict[str, int | str]:
    """Counts of children as planners may see them (:mod:`placement.disclosure`)."""
    return {k: disclosure.count(v) for k, v in sorted(by.items())}


def planner_details(details: dict[str, Any]) -> dict[str, Any]:
    """An audit event's details as planners may see them: the count of children in an area
    disclosure-controlled, a failed run's error replaced (it can name a child)."""
    out = dict(details)
    if isinstance(out.get("children"), int):
        out["children"] = disclosure.count(out["children"])
    if out.get("error") is not None:
        out["error"] = PLANNER_RUN_ERROR
    return out


def planner_metrics(m: dict[str, Any]) -> dict[str, Any]:
    """A run's metrics (:class:`placement.result.Metrics` as stored) as planners may see them:
    counts of 1-9 children as "<10", other counts rounded to 5, percentages from the rounded
    counts (withheld when their counts are not stored, as in runs made before they were)."""
    out = export_metrics({k: v for k, v in m.items() if not isinstance(v, dict)})
    for k in ("unmet_by_need", "unmet_by_phase"):
        out[k] = counts(m.get(k, {}))
    placed = int(m.get("placed", 1))
    out["cost_by_payer_gbp"] = {
        k: disclosure.money(v, placed) for k, v in m.get("cost_by_payer_gbp", {}).items()
    }
    return out
