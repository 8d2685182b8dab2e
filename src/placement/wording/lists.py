"""A tailored list in words (:func:`render_list_text`) and as plain data for JSON
(:func:`list_as_dict`), for one audience, each reason worded by :func:`placement.wording.render`.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from placement.reasons import Reason, ReasonCode
from placement.wording.reasons import CHANCE_WORDS, Audience, describe_kind, render

__all__ = ["NO_OPTIONS_FAMILY", "RECOMMENDED_BECAUSE", "list_as_dict", "render_list_text"]

RECOMMENDED_BECAUSE = {  # (officer, family)
    "area_run": (
        "the area run plans this place",
        "the plan for the whole area has a place for your child there",
    ),
    "available": (
        "it is the best-scored option where a place is likely",
        "it can meet your child's needs and a place there is likely",
    ),
    "best_scored": (
        "it is the best-scored option (no area run yet)",
        "it is the best match for your child's needs",
    ),
    "staying": ("the child stays where the plan names", "your child is staying at their school"),
}

NO_OPTIONS_FAMILY = (
    "We have not yet found a school or college with a place that can meet your child's "
    "needs. A placement officer will contact you to talk about what happens next. You can "
    "still ask for any school or college."
)


def _option_source(source: str) -> str:
    """An option's journey source in officer wording, as :func:`_source` words a reason's."""
    return "router" if source == "router" else "straight-line estimate"


def _journey_words(minutes: int, source: str) -> str:
    """A journey in plain words, labelled when it is an estimate."""
    return f"about {minutes} minutes" + ("" if source == "router" else " (an estimate)")


def _names(tl: Any) -> dict[str, str]:
    """The names of the settings a list mentions, by id."""
    names = {o.setting_id: o.name for o in tl.options}
    names.update({lo.setting_id: lo.name for lo in tl.left_off})
    names.update({r.setting_id: r.setting_name for r in tl.requests})
    return names


def render_list_text(tl: Any, audience: Audience) -> str:
    """A :class:`~placement.tailored.TailoredList` as plain text for one audience."""
    names = _names(tl)
    lines = _head_lines(tl, audience, names)
    lines += _option_lines(tl, audience, names)
    lines += _request_lines(tl, audience, names)
    lines += _left_off_lines(tl, audience, names)
    lines.append("")
    lines.append(tl.advisory)
    return "\n".join(lines)


def _head_lines(tl: Any, audience: Audience, names: Mapping[str, str]) -> list[str]:
    """The title, the staying child's place, and the recommendation."""
    lines: list[str] = []
    fam = audience == "family"
    if fam:
        lines.append("Schools and colleges that can meet your child's needs")
    else:
        lines.append(
            f"Tailored list for {tl.child_id}: {tl.primary_need} band {tl.need_band}, "
            f"{tl.phase}, journey limit {tl.journey_limit_min} min "
            f"({'set in the plan' if tl.journey_limit_source == 'plan' else 'LA policy'})"
            + (f"; area run: {tl.mechanism}" if tl.mechanism else "")
            + f"; {tl.movement.replace('_', ' ')}"
        )
        if tl.scope == "from_scratch":
            lines.append(
                "AS IF FROM SCRATCH: a planner's whole-caseload study, not a placement run"
            )
    lines.append("")
    if tl.staying_setting_id is not None:
        stay = Reason(
            ReasonCode.STAYING,
            tl.child_id,
            tl.staying_setting_id,
            {"current_setting_id": tl.staying_setting_id},
        )
        lines.append(render(stay, audience, names))
        lines.append("")
    if fam and not tl.options and tl.staying_setting_id is None:
        lines.append(NO_OPTIONS_FAMILY)
        lines.append("")
    rec = tl.recommended_setting_id
    if rec is not None and tl.staying_setting_id is None:
        name = names.get(rec, rec)
        why = RECOMMENDED_BECAUSE[tl.recommended_because or "best_scored"]
        lines.append(
            f"Recommended: {name}, because {why[1 if fam else 0]}."
            if not fam
            else f"We suggest {name} first, because {why[1]}."
        )
        lines.append("")
    return lines


def _option_lines(tl: Any, audience: Audience, names: Mapping[str, str]) -> list[str]:
    """Each option, numbered, with its reasons."""
    lines: list[str] = []
    for n, o in enumerate(tl.options, 1):
        if audience == "family":
            lines.append(
                f"{n}. {o.name}: {describe_kind(o.kind)}, about {o.journey_min} minutes away"
                f"{' (an estimate)' if o.journey_source == 'estimate' else ''}."
            )
            lines.append(f"   {CHANCE_WORDS[o.chance].capitalize()}.")
        else:
            comps = ", ".join(f"{k} {v:+.1f}" for k, v in o.components.items())
            pool = f" in {o.pool_need} pool" if o.pool_need else ""
            lines.append(
                f"{n}. {o.name} [{o.setting_id}] {o.kind}; {o.journey_min} min "
                f"({_option_source(o.journey_source)}"
                f"{', transport' if o.transport_provided else ''}); £{o.cost_gbp:,}/yr; "
                f"{o.places_left} place{'' if o.places_left == 1 else 's'} left{pool}; "
                f"chance {o.chance}; score {o.score:.1f} = {comps}; "
                f"listed: {', '.join(o.included_because)}"
            )
        for r in o.reasons:
            lines.append(f"   - {render(r, audience, names)}")
    return lines


_VERDICT_FAMILY = {
    "named": "This is the school planned for your child.",
    "can_be_named": "The council can name this school.",
    "refused": "The council is likely to say no to this, because:",
    "not_this_round": "Not looked at this time, because your child is not moving this year.",
}


def _request_lines(tl: Any, audience: Audience, names: Mapping[str, str]) -> list[str]:
    """Each of the family's requests with its statutory tests."""
    if not tl.requests:
        return []
    fam = audience == "family"
    lines = ["", "What you asked for" if fam else "Requests (statutory tests in order)"]
    for req in tl.requests:
        if fam:
            lines.append(f"- Choice {req.rank}, {req.setting_name}: {_VERDICT_FAMILY[req.outcome]}")
        else:
            head = f"- {req.rank}. {req.setting_name} [{req.setting_id}]"
            lines.append(f"{head} {req.route}: {req.outcome}")
        for t in req.tests:
            if fam:
                if req.outcome == "not_this_round":
                    continue
                for r in t.reasons:
                    lines.append(f"    {render(r, audience, names)}")
            else:
                ev = "; ".join(render(r, audience, names) for r in t.reasons)
                lines.append(f"    {t.ground.value}: {t.outcome}{': ' + ev if ev else ''}")
    return lines


def _left_off_lines(tl: Any, audience: Audience, names: Mapping[str, str]) -> list[str]:
    """Why other settings are not on the list (a family reads one line per reason)."""
    fam = audience == "family"
    lines: list[str] = []
    if tl.left_off:
        lines.append("")
        lines.append(
            "Why some schools near you are not on the list" if fam else "Left off (with evidence)"
        )
        if fam:
            # one line per reason, with the other settings it applies to
            groups: dict[ReasonCode, list[Any]] = {}
            for lo in tl.left_off:
                groups.setdefault(lo.reasons[0].code, []).append(lo)
            for los in groups.values():
                lines.append(f"- {render(los[0].reasons[0], audience, names)}")
                others = [lo.name for lo in los[1:]]
                if others:
                    more = f" and {len(others) - 6} more" if len(others) > 6 else ""
                    lines.append(f"  The same goes for {', '.join(others[:6])}{more}.")
        else:
            for lo in tl.left_off:
                lines.append(f"- {lo.name}: {render(lo.reasons[0], audience, names)}")
    if not fam and tl.left_off_counts:
        lines.append(
            "All other settings, by first reason: "
            + ", ".join(f"{k} {v}" for k, v in tl.left_off_counts.items())
        )
    return lines


def _reason_dict(r: Reason, audience: Audience, names: Mapping[str, str]) -> dict[str, Any]:
    d = r.as_dict() if audience == "officer" else {"setting_id": r.setting_id}
    d["text"] = render(r, audience, names)
    return d


def _option_dict(o: Any, audience: Audience, names: Mapping[str, str]) -> dict[str, Any]:
    d: dict[str, Any] = {
        "setting_id": o.setting_id,
        "name": o.name,
        "kind": o.kind,
        "kind_words": describe_kind(o.kind),
        "journey_min": o.journey_min,
        "journey_source": o.journey_source,
        "journey_words": _journey_words(o.journey_min, o.journey_source),
        "transport_provided": o.transport_provided,
        "places_left": o.places_left,
        "chance": o.chance,
        "preference_rank": o.preference_rank,
        "reasons": [_reason_dict(r, audience, names) for r in o.reasons],
    }
    if audience == "officer":
        d.update(
            {
                "mainstream": o.mainstream,
                "cost_gbp": o.cost_gbp,
                "cost_by_payer_gbp": o.cost_by_payer_gbp,
                "pool_need": o.pool_need,
                "score": o.score,
                "components": o.components,
                "route": o.route,
                "included_because": list(o.included_because),
            }
        )
    return d


def _test_dict(t: Any, audience: Audience, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "test": t.name,
        "outcome": t.outcome,
        **({"ground": t.ground.value} if audience == "officer" else {}),
        "reasons": [_reason_dict(x, audience, names) for x in t.reasons],
    }


def _request_dict(r: Any, audience: Audience, names: Mapping[str, str]) -> dict[str, Any]:
    officer = audience == "officer"
    return {
        "setting_id": r.setting_id,
        "name": r.setting_name,
        "rank": r.rank,
        "outcome": r.outcome,
        **({"route": r.route, "grounds": [g.value for g in r.grounds]} if officer else {}),
        "tests": [_test_dict(t, audience, names) for t in r.tests],
    }


def list_as_dict(tl: Any, audience: Audience) -> dict[str, Any]:
    """A tailored list as plain data for JSON, with each reason's wording for the audience.
    Officer output keeps codes, grounds and facts; family output keeps the words."""
    names = _names(tl)
    officer = audience == "officer"
    s33 = tl.mainstream_presumption
    message = None
    if not tl.options and tl.staying_setting_id is None:
        message = NO_OPTIONS_FAMILY if not officer else "no suitable setting with a place"
    return {
        "child_id": tl.child_id,
        "audience": audience,
        "advisory": tl.advisory,
        "message": message,
        "movement": tl.movement,
        "recommended_setting_id": tl.recommended_setting_id,
        "recommended_because": RECOMMENDED_BECAUSE[tl.recommended_because][0 if officer else 1]
        if tl.recommended_because
        else None,
        "staying_setting_id": tl.staying_setting_id,
        "scope": tl.scope,
        "journey_limit_source": tl.journey_limit_source,
        "mainstream_presumption": None if s33 is None else _test_dict(s33, audience, names),
        "allocated_setting_id": tl.allocated_setting_id,
        "mechanism": tl.mechanism,
        "phase": tl.phase,
        "primary_need": tl.primary_need,
        "need_band": tl.need_band,
        "journey_limit_min": tl.journey_limit_min,
        "options": [_option_dict(o, audience, names) for o in tl.options],
        "requests": [_request_dict(r, audience, names) for r in tl.requests],
        "left_off": [
            {
                "setting_id": lo.setting_id,
                "name": lo.name,
                "reasons": [_reason_dict(x, audience, names) for x in lo.reasons],
            }
            for lo in tl.left_off
        ],
        "left_off_counts": dict(tl.left_off_counts) if officer else {},
    }
