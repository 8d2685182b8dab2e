"""The grounds that hold *now* for refusing a family's request, at the moment an officer
decides: against the setting actually named and the places actually free (pure: the caller
gives the free places and any setting's reply).

A request is refused only on one of the three grounds of CFA 2014 s.39(4), with its evidence
(a representation under s.9 EA 1996 only on its limbs):

- **s.39(4)(a)** unsuitable for the child's age, ability, aptitude or SEN: the suitability
  rules (:func:`placement.rules.why_unsuitable`; a journey limit only where the child's plan
  sets it), or the setting's reply to its consultation that it cannot meet the child's needs.
  A single-sex school's gender of entry is its own fact (the school cannot admit the child),
  kept apart from s.39(4)(a).
- **s.39(4)(b) efficient education of others**: no place is free at the setting (or in the
  pool for the child's need) once the roll and the placements already confirmed are counted,
  naming the children confirmed there; or the setting's reply that admitting the child would
  be incompatible with the efficient education of others.
- **s.39(4)(b) efficient use of resources**: the request's whole annual public cost exceeds
  that of the setting actually named for the child by more than the LA's threshold
  (:meth:`placement.policy.Funding.extra_cost_threshold_gbp`); with no setting named yet, the
  cheapest suitable setting with a place free.

The LA's own journey limit is never a ground: it bounds the settings the LA proposes, not what
a family may ask for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from placement.law import preference_route
from placement.problem import Problem
from placement.reasons import Reason, ReasonCode
from placement.rules import why_unsuitable

__all__ = ["Objection", "Places", "grounds_now"]

# suitability findings that are not grounds to refuse a request
NOT_A_GROUND = frozenset({ReasonCode.JOURNEY_OVER_LIMIT})


@dataclass(frozen=True, slots=True)
class Places:
    """What is free at a setting now: its places, its roll, the placements confirmed through
    the service (their children's ids) and, by need, the same for its pools."""

    places: int
    roll: int
    confirmed: Sequence[str] = ()
    pools: Mapping[str, tuple[int, int, int]] = field(default_factory=dict)  # places, roll, conf

    @property
    def free(self) -> int:
        return self.places - self.roll - len(self.confirmed)


@dataclass(frozen=True, slots=True)
class Objection:
    """A setting's reply to its consultation objecting, on ``ground`` (``needs``: it cannot
    meet the child's needs; ``others``: incompatible with the efficient education of
    others), with the evidence it gave."""

    ground: Literal["needs", "others"]
    evidence: str


def _suitability(p: Problem, i: int, s: int, route: str) -> list[Reason]:
    return [r.for_route(route) for r in why_unsuitable(p, i, s) if r.code not in NOT_A_GROUND]


def _no_place(p: Problem, i: int, s: int, route: str, places: Places | None) -> list[Reason]:
    if places is None:
        return []
    child, sett = p.children[i], p.settings[s]
    need = child.primary_need.value
    if need in places.pools:
        n, roll, conf = places.pools[need]
        if n - roll - conf <= 0:
            facts = {"need": need, "places": n, "roll": roll, "confirmed": conf}
            return [Reason(ReasonCode.NO_PLACE_NOW, child.child_id, sett.setting_id, facts, route)]
    if places.free > 0:
        return []
    facts = {
        "places": places.places,
        "roll": places.roll,
        "confirmed": len(places.confirmed),
        "holders": sorted(places.confirmed),
    }
    return [Reason(ReasonCode.NO_PLACE_NOW, child.child_id, sett.setting_id, facts, route)]


def _objection(p: Problem, i: int, s: int, route: str, o: Objection | None) -> list[Reason]:
    if o is None:
        return []
    code = (
        ReasonCode.SETTING_OBJECTS_NEEDS
        if o.ground == "needs"
        else ReasonCode.SETTING_OBJECTS_OTHERS
    )
    sid = p.settings[s].setting_id
    return [Reason(code, p.children[i].child_id, sid, {"evidence": o.evidence}, route)]


def _cheapest_free(p: Problem, i: int, places: Mapping[str, Places]) -> int:
    """The child's cheapest suitable pair at a setting with a place free (-1: none)."""
    pr = p.pairs
    best, best_cost = -1, 0
    for k in range(int(pr.start[i]), int(pr.start[i + 1])):
        sid = p.settings[int(pr.setting[k])].setting_id
        got = places.get(sid)
        if got is not None and got.free <= 0:
            continue
        if best < 0 or int(pr.cost_gbp[k]) < best_cost:
            best, best_cost = int(k), int(pr.cost_gbp[k])
    return best


def _dear(
    p: Problem, i: int, s: int, route: str, named: int | None, places: Mapping[str, Places]
) -> list[Reason]:
    k = p.pair_index(i, s)
    if k < 0:
        return []
    alt = p.pair_index(i, named) if named is not None else _cheapest_free(p, i, places)
    if alt < 0 or alt == k:
        return []
    cost, alt_cost = int(p.pairs.cost_gbp[k]), int(p.pairs.cost_gbp[alt])
    threshold = p.policy.funding.extra_cost_threshold_gbp(alt_cost)
    if cost - alt_cost <= threshold:
        return []
    s38 = route == "s38_request"
    facts = {
        "cost_gbp": cost,
        "alternative_gbp": alt_cost,
        "alternative_setting_id": p.settings[int(p.pairs.setting[alt])].setting_id,
        "alternative_is": "named" if named is not None else "free",
        "kind": p.settings[s].kind.value,
        "extra_gbp": cost - alt_cost,
        "threshold_gbp": int(threshold),
        "transport_counted": bool(p.c_transport[i]) and not bool(p.pairs.family_transport[k]),
    }
    code = ReasonCode.COST_DISPROPORTIONATE if s38 else ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE
    return [Reason(code, p.children[i].child_id, p.settings[s].setting_id, facts, route)]


def grounds_now(
    p: Problem,
    child_id: str,
    setting_id: str,
    *,
    named_setting_id: str | None,
    places: Mapping[str, Places],
    objection: Objection | None = None,
) -> list[Reason]:
    """Every ground that holds now for refusing ``child_id``'s request for ``setting_id``
    (see the module docstring), in statutory order; empty: none holds, and the request must
    be named or the evidence recorded first. ``places``: what is free at each setting now;
    ``objection``: the setting's reply, if it objected."""
    i, s = p.child_index[child_id], p.setting_index[setting_id]
    route = preference_route(p.settings[s]).value
    named = p.setting_index[named_setting_id] if named_setting_id is not None else None
    return [
        *_suitability(p, i, s, route),
        *_objection(p, i, s, route, objection),
        *_no_place(p, i, s, route, places.get(setting_id)),
        *_dear(p, i, s, route, named, places),
    ]
