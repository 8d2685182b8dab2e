"""A family's ranked requests (CFA 2014 s.38): saving them, and what each one's status is as
the caller may see it (being considered, named, refused, or asked after the decision)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from sqlmodel import Session, col, select

from placement.domain import DomainError
from placement.service.access import audit_read, child_for
from placement.service.areas.models import AreaRow, SettingRow
from placement.service.audit.events import record
from placement.service.audit.models import AuditEvent
from placement.service.children.models import ChildRow
from placement.service.clock import utcnow
from placement.service.codec import child_from_dict
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.decisions.models import DecisionRow
from placement.service.errors import InvalidError
from placement.service.placements.models import PlacementRow
from placement.service.requests.models import RequestRow
from placement.service.runs.models import RunRow
from placement.service.security import Principal

__all__ = [
    "NEXT_STEPS_AFTER_DECISION",
    "REQUEST_WORDS",
    "get_requests",
    "requests_view",
    "save_requests",
    "set_requests",
    "sync_requests",
]

REQUEST_WORDS = {
    "being_considered": "Being considered. A placement officer will decide and tell you why.",
    "named": "This is the school or college named for your child.",
    "refused": "The council has said no to this. The reasons are below.",
    "after_decision": (
        "You asked for this after a place was confirmed for your child. It will be looked at "
        "when your child's plan is next reviewed. You can ask the council for a review."
    ),
}
NEXT_STEPS_AFTER_DECISION = (
    "A place has already been confirmed for your child. Your new choices are saved and will "
    "be looked at when your child's plan is next reviewed. You can ask the council for a "
    "review now."
)


def _utc(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _changed_since_run(session: Session, child: ChildRow) -> bool:
    """Whether the requests were saved since the latest run started (the run's assessment is
    of the requests before)."""
    run = session.exec(
        select(RunRow)
        .where(
            RunRow.area_id == child.area_id,
            RunRow.status == "succeeded",
            RunRow.scope == "moving",
        )
        .order_by(col(RunRow.id).desc())
        .limit(1)
    ).first()
    saved = session.exec(
        select(AuditEvent.at)
        .where(
            AuditEvent.action == "child.requests",
            AuditEvent.object_id == f"{child.area_id}/{child.child_id}",
        )
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    return saved is not None and (
        run is None or _utc(dt.datetime.fromisoformat(saved)) > _utc(run.created_at)
    )


def _named_at(session: Session, area_id: int, child_id: str) -> dt.datetime | None:
    """When the child's confirmed placement was decided (None: no place is named now)."""
    got: dt.datetime | None = session.exec(
        select(PlacementRow.decided_at).where(
            PlacementRow.area_id == area_id,
            PlacementRow.child_id == child_id,
            PlacementRow.status == "confirmed",
        )
    ).first()
    return _utc(got) if got is not None else None


def _decided_tests(decision: DecisionRow, request_id: int | None) -> list[dict[str, Any]]:
    """A decided request's grounds as its decision recorded them, in the tests' shape."""
    for q in json.loads(decision.record).get("requests", []):
        if q.get("request_id") == request_id:
            return [
                {
                    "test": g["code"],
                    "ground": g["ground"],
                    "outcome": "not_met",
                    "reasons": [{"text": g["family"], "officer": g["officer"]}],
                }
                for g in q.get("grounds", [])
            ]
    return []


def _item(
    req: RequestRow,
    status: str,
    names: dict[str, str],
    decisions: dict[int, DecisionRow],
    assessed: dict[str, Any] | None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "request_id": req.id,
        "setting_id": req.setting_id,
        "name": names.get(req.setting_id, req.setting_id),
        "rank": req.rank,
        "status": status,
        "words": REQUEST_WORDS[status],
        "made_at": req.made_at.isoformat(),
    }
    d = decisions.get(req.decision_id or 0)
    if d is not None:
        item["decision_id"] = d.id
        item["decided_at"] = d.decided_at.isoformat()
        if status == "refused":
            item["tests"] = _decided_tests(d, req.id)
    elif assessed is not None:  # officers: the working run's draft tests of an open request
        item["tests"] = assessed.get(req.setting_id, {}).get("tests", [])
    return item


def requests_view(
    session: Session, who: Principal, *, child: ChildRow, listed: dict[str, Any]
) -> dict[str, Any]:
    """The family's requests with their status, as the caller may see them (each request a
    row of its own, decided at most once).

    An open request is "being considered" until an officer decides it; one made after a
    place was named for the child is "after_decision" (a new request: looked at at a review or in a
    later round, never folded into the earlier letter). A decided request is "named" or
    "refused", with the grounds its decision recorded (never the area run's draft). Officers
    also see the run's assessment of the open requests and whether they changed since the
    run."""
    rows = session.exec(
        select(RequestRow)
        .where(
            RequestRow.area_id == child.area_id,
            RequestRow.child_id == child.child_id,
            col(RequestRow.status).in_(("open", "named", "refused")),
        )
        .order_by(col(RequestRow.rank), col(RequestRow.id))
    ).all()
    ids = {r.setting_id for r in rows}
    names = dict(
        session.exec(
            select(SettingRow.setting_id, SettingRow.name).where(
                SettingRow.area_id == child.area_id, col(SettingRow.setting_id).in_(ids)
            )
        ).all()
    )
    decisions = {
        d.id or 0: d
        for d in session.exec(
            select(DecisionRow).where(
                col(DecisionRow.id).in_({r.decision_id for r in rows if r.decision_id})
            )
        ).all()
    }
    after = _named_at(session, child.area_id, child.child_id)
    assessed = (
        {a["setting_id"]: a for a in listed.get("requests", [])} if who.role != "family" else None
    )
    out = []
    for r in rows:
        status = r.status
        if status == "open":
            late = after is not None and _utc(r.made_at) > after
            status = "after_decision" if late else "being_considered"
        out.append(_item(r, status, names, decisions, assessed))
    out.sort(key=lambda x: (x["status"] not in ("being_considered", "after_decision"), x["rank"]))
    view: dict[str, Any] = {"child_id": child.child_id, "requests": out}
    if who.role != "family":
        view["changed_since_run"] = _changed_since_run(session, child)
        view["run_assessment"] = listed.get("requests", [])
    if any(x["status"] == "after_decision" for x in out):
        view["next_steps"] = NEXT_STEPS_AFTER_DECISION
    return view


def get_requests(
    ctx: Ctx, session: Session, who: Principal, area_id: int, child_id: str
) -> dict[str, Any]:
    """The family's ranked requests with their status ("being considered" until an officer
    decides); officers also see the area run's statutory tests and whether the requests
    changed since the run."""
    row = child_for(session, who, area_id, child_id)
    audit_read(ctx, session, who, row, "child.requests.read")
    aud: Literal["officer", "family"] = "family" if who.role == "family" else "officer"
    area = session.get(AreaRow, area_id)
    assert area is not None
    d = ctx.cache.get(session, area).list_doc(child_id, aud)
    view = requests_view(session, who, child=row, listed=d)
    view["advisory"] = d["advisory"]
    return view


def sync_requests(
    session: Session, who: Principal, *, area_id: int, child_id: str, setting_ids: list[str]
) -> None:
    """The family's ranked list as request rows: an open request not in the list is
    withdrawn; one in it keeps its row (its rank updated); a setting the family asks for anew
    (or again, after a decision refused it) is a new request made now. A decided request never
    changes; asking again for the setting named for the child makes nothing new."""
    now = utcnow()
    rows = session.exec(
        select(RequestRow).where(RequestRow.area_id == area_id, RequestRow.child_id == child_id)
    ).all()
    open_by = {r.setting_id: r for r in rows if r.status == "open"}
    named_now = session.exec(
        select(PlacementRow.setting_id).where(
            PlacementRow.area_id == area_id,
            PlacementRow.child_id == child_id,
            PlacementRow.status == "confirmed",
        )
    ).first()
    for sid, r in open_by.items():
        if sid not in setting_ids:
            r.status, r.closed_at = "withdrawn", now
            session.add(r)
    rank = 0
    for sid in setting_ids:
        if sid == named_now and sid not in open_by:
            continue  # already named for the child: asking for it again decides nothing new
        rank += 1
        r = open_by.get(sid) or RequestRow(
            area_id=area_id, child_id=child_id, setting_id=sid, rank=rank,
            made_by=who.username, made_at=now,
        )  # fmt: skip
        r.rank = rank
        session.add(r)


def set_requests(
    session: Session, who: Principal, *, child: ChildRow, setting_ids: list[str]
) -> dict[str, Any]:
    """Replace the family's ranked requests for a child. They are weighed at the area's next
    run (an officer starts it); saving them does not rebuild the area's lists (no new area
    revision), so one family saving often cannot slow everyone else's lists."""
    if len(set(setting_ids)) != len(setting_ids):
        raise InvalidError("a setting appears twice")
    begin_write(session)
    known = set(
        session.exec(
            select(SettingRow.setting_id).where(
                SettingRow.area_id == child.area_id, col(SettingRow.setting_id).in_(setting_ids)
            )
        ).all()
    )
    missing = [s for s in setting_ids if s not in known]
    if missing:
        raise InvalidError(f"unknown setting {missing[0]!r} in this area")
    row = session.get(ChildRow, child.id)
    assert row is not None
    d: dict[str, Any] = json.loads(row.data)
    before = d.get("preferences", [])
    d["preferences"] = list(setting_ids)
    try:
        child_from_dict(d)
    except DomainError as e:
        raise InvalidError(str(e)) from None
    row.data = json.dumps(d, sort_keys=True)
    session.add(row)
    sync_requests(
        session, who, area_id=child.area_id, child_id=child.child_id, setting_ids=setting_ids
    )
    record(
        session, who, "child.requests", "child", f"{child.area_id}/{child.child_id}",
        before=before, after=list(setting_ids),
    )  # fmt: skip
    session.commit()
    if _named_at(session, child.area_id, child.child_id) is not None and setting_ids:
        d["next_steps"] = NEXT_STEPS_AFTER_DECISION
    return d


def save_requests(
    session: Session, who: Principal, area_id: int, child_id: str, setting_ids: list[str]
) -> dict[str, Any]:
    """Replace the ranked requests (the family, or an officer on their behalf) and say what
    happens next. A family may ask for any setting in the area, on the list or not."""
    row = child_for(session, who, area_id, child_id)
    d = set_requests(session, who, child=row, setting_ids=setting_ids)
    after = "next_steps" in d
    return {
        "child_id": child_id,
        "preferences": d["preferences"],
        "status": "after_decision" if after else "being_considered",
        "words": d["next_steps"] if after else REQUEST_WORDS["being_considered"],
    }
