"""An independent check of every decision in a database (``placement audit decisions``): the
letter is the one issued (its hash, and the hash the audit trail recorded), it renders again
from its record byte for byte, every request the record decides is marked so, and every
refusal rests on a ground the law allows for its route with evidence that holds on its own
figures. Its rules are written here apart from the code that made the decisions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from placement.service.audit.models import AuditEvent
from placement.service.decisions.models import DecisionRow
from placement.service.decisions.service import letter_of
from placement.service.requests.models import RequestRow

__all__ = ["Finding", "check_decisions"]

# what may refuse a s.38 request, and an s.9 representation (never the LA's journey limit)
S38_CODES = frozenset(
    {
        "age_out_of_range", "need_not_met", "need_level_above_designation",
        "secondary_need_not_met", "feature_missing", "excluded", "journey_over_plan_limit",
        "sex_not_admitted", "no_place_now", "setting_full", "pool_full",
        "setting_objects_needs", "setting_objects_others", "cost_disproportionate",
    }
)  # fmt: skip
S9_CODES = (S38_CODES - {"cost_disproportionate"}) | {"not_s41_unreasonable_expenditure"}
STATUTES = {
    "s38_request": ("s.39(4)(a)", "s.39(4)(b)", "school's gender of entry"),
    "s9_representation": ("s.9 EA 1996", "school's gender of entry"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    decision_id: int
    problem: str

    def __str__(self) -> str:
        return f"decision {self.decision_id}: {self.problem}"


def _evidence(code: str, f: dict[str, Any]) -> str | None:
    """What is wrong with a ground's evidence, on its own figures (None: it holds)."""
    if code == "no_place_now":
        free = int(f["places"]) - int(f["roll"]) - int(f["confirmed"])
        return None if free <= 0 else f"no_place_now with {free} places free"
    if code in ("cost_disproportionate", "not_s41_unreasonable_expenditure"):
        extra = int(f["cost_gbp"]) - int(f["alternative_gbp"])
        if extra != int(f["extra_gbp"]) or extra <= int(f["threshold_gbp"]):
            return f"{code}: £{extra} more is not over the threshold of £{f['threshold_gbp']}"
        return None
    if code.startswith("setting_objects") and not str(f.get("evidence", "")).strip():
        return f"{code} without the setting's evidence"
    return None


def _refusal(q: dict[str, Any]) -> list[str]:
    """What is wrong with one refused request's grounds."""
    grounds = q.get("grounds") or []
    if not grounds:
        return [f"request {q.get('request_id')} for {q.get('setting_id')} refused without a ground"]
    route = str(q.get("route"))
    codes = S38_CODES if route == "s38_request" else S9_CODES
    out = []
    for g in grounds:
        if g["code"] not in codes:
            out.append(f"{g['code']} is not a ground to refuse a {route}")
        elif not str(g["ground"]).startswith(STATUTES.get(route, ())):
            out.append(f"{g['code']} answered under {g['ground']}, not the {route}'s statute")
        elif (wrong := _evidence(g["code"], g.get("facts", {}))) is not None:
            out.append(wrong)
    return out


def _one(d: DecisionRow, events: dict[str, str], requests: dict[int, RequestRow]) -> list[str]:
    out = []
    if hashlib.sha256(d.letter.encode()).hexdigest() != d.letter_sha256:
        out.append("the letter is not the one issued (its hash differs)")
    if events.get(str(d.id)) != d.letter_sha256:
        out.append("the audit trail does not hold this letter's hash")
    if letter_of(d.record) != d.letter:
        out.append("the record no longer renders to the letter issued")
    rec = json.loads(d.record)
    if rec.get("kind") != d.kind:
        out.append(f"the record says {rec.get('kind')}, the decision {d.kind}")
    for q in rec.get("requests", []):
        row = requests.get(int(q.get("request_id") or 0))
        if row is None or row.decision_id != d.id or row.status != q.get("outcome"):
            out.append(f"request {q.get('request_id')} is not marked {q.get('outcome')} by it")
        if q.get("outcome") == "refused":
            out += _refusal(q)
        elif q.get("setting_id") != d.setting_id:
            out.append(
                f"request for {q.get('setting_id')} named, but the decision names {d.setting_id}"
            )
    return out


def check_decisions(session: Session) -> tuple[int, list[Finding]]:
    """Check every decision; returns how many were checked and what is wrong."""
    events = {
        e.object_id: json.loads(e.details).get("letter_sha256", "")
        for e in session.exec(select(AuditEvent).where(AuditEvent.action == "decision.issue")).all()
    }
    requests = {
        r.id or 0: r
        for r in session.exec(select(RequestRow).where(col(RequestRow.decision_id).is_not(None)))
    }
    rows = session.exec(select(DecisionRow).order_by(col(DecisionRow.id))).all()
    found = [Finding(d.id or 0, p) for d in rows for p in _one(d, events, requests)]
    return len(rows), found
