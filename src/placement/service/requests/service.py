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
from placement.service.codec import child_from_dict
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.errors import InvalidError
from placement.service.placements.models import PlacementRow
from placement.service.runs.models import RunRow
from placement.service.security import Principal

__all__ = [
    "NEXT_STEPS_AFTER_DECISION",
    "REQUEST_WORDS",
    "get_requests",
    "requests_view",
    "save_requests",
    "set_requests",
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


def _confirmed(session: Session, area_id: int, child_id: str) -> PlacementRow | None:
    return session.exec(
        select(PlacementRow).where(
            PlacementRow.area_id == area_id,
            PlacementRow.child_id == child_id,
            PlacementRow.status == "confirmed",
        )
    ).first()


def _status(
    confirmed: PlacementRow | None, sid: str, assessed: dict[str, Any]
) -> Literal["being_considered", "named", "refused", "after_decision"]:
    if confirmed is None:
        return "being_considered"
    if confirmed.setting_id == sid:
        return "named"
    return "refused" if sid in assessed else "after_decision"


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


def requests_view(
    session: Session, who: Principal, *, child: ChildRow, listed: dict[str, Any]
) -> dict[str, Any]:
    """The family's saved requests with their status, as the caller may see them.

    Until an officer decides, every request is "being considered" (the area run's statutory
    tests are a draft for officers, not a decision for the family). After a confirmation,
    the setting named is "named", each other request the run assessed is "refused" with its
    grounds, and one saved since is "after_decision" (looked at at the next review). Officers
    also see the run's assessment and whether the requests changed since the run."""
    prefs: list[str] = json.loads(child.data).get("preferences", [])
    names = dict(
        session.exec(
            select(SettingRow.setting_id, SettingRow.name).where(
                SettingRow.area_id == child.area_id, col(SettingRow.setting_id).in_(prefs)
            )
        ).all()
    )
    confirmed = _confirmed(session, child.area_id, child.child_id)
    assessed = {r["setting_id"]: r for r in listed.get("requests", [])}
    out = []
    for rank, sid in enumerate(prefs, start=1):
        status = _status(confirmed, sid, assessed)
        item: dict[str, Any] = {
            "setting_id": sid,
            "name": names.get(sid, sid),
            "rank": rank,
            "status": status,
            "words": REQUEST_WORDS[status],
        }
        if status == "refused" or who.role != "family":
            item["tests"] = assessed.get(sid, {}).get("tests", [])
        out.append(item)
    view: dict[str, Any] = {"child_id": child.child_id, "requests": out}
    if who.role != "family":
        view["changed_since_run"] = _changed_since_run(session, child)
        view["run_assessment"] = listed.get("requests", [])
    if confirmed is not None and any(x["status"] == "after_decision" for x in out):
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
    record(
        session, who, "child.requests", "child", f"{child.area_id}/{child.child_id}",
        before=before, after=list(setting_ids),
    )  # fmt: skip
    session.commit()
    if _confirmed(session, child.area_id, child.child_id) is not None:
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
