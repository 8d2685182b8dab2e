"""Children: the officer's worklist, a child's record, the tailored list with its reasons,
why a setting is or is not on it, and what would happen if the child were placed there.

Every read of a child's record is audited (:func:`placement.service.access.audit_read`); a
family sees only its own child, in family wording."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from placement import statutory
from placement.domain import Need
from placement.explain import explain_setting
from placement.service.access import area_for, audit_read, child_for, require
from placement.service.areas.models import AreaRow
from placement.service.children.models import ChildRow
from placement.service.children.schemas import ChildPublic, ChildSummary
from placement.service.clock import today
from placement.service.context import Ctx
from placement.service.engine import Computed, WorklistBase
from placement.service.errors import InvalidError, NotFoundError
from placement.service.placements.models import PlacementRow
from placement.service.requests.service import requests_view
from placement.service.schemas import Page, PageParams
from placement.service.security import Principal
from placement.whatif import what_if as core_what_if
from placement.wording import Audience, render

__all__ = [
    "WORKLIST_FILTERS",
    "WORKLIST_PARAMS",
    "WorklistFilters",
    "explain",
    "get_child",
    "tailored_list_body",
    "tailored_list_doc",
    "what_if",
    "worklist",
]

# the worklist's filters, and its query parameters: any other is refused, never ignored
WORKLIST_FILTERS = (
    "run_outcome",
    "status",
    "consultation_overdue",
    "deadline_within_days",
    "need",
    "year",
    "q",
)
WORKLIST_PARAMS = frozenset({"page", "size", *WORKLIST_FILTERS})
RunOutcome = Literal["placed", "unplaced", "staying"]
PlacementStatus = Literal["none", "proposed", "consulted", "confirmed", "declined", "withdrawn"]


@dataclass(frozen=True, slots=True)
class WorklistFilters:
    """The worklist's filters (None: any)."""

    run_outcome: RunOutcome | None = None
    status: PlacementStatus | None = None
    consultation_overdue: bool | None = None
    deadline_within_days: int | None = None
    need: Need | None = None
    year: int | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class _Latest:
    """A child's latest placement, as the worklist shows it."""

    status: str | None = None
    overdue: bool = False
    deadline: dt.date | None = None


def _computed(ctx: Ctx, session: Session, area_id: int) -> Computed:
    area = session.get(AreaRow, area_id)
    assert area is not None
    return ctx.cache.get(session, area)


def _latest_placements(session: Session, area_id: int) -> dict[str, _Latest]:
    """Per child with a placement: its latest placement's status (withdrawals aside), an
    overdue consultation and the placement's phase-transfer deadline."""
    out: dict[str, dict[str, Any]] = {}
    now = today()
    for child_id, status, deadline, response, due in session.execute(
        sa_select(
            col(PlacementRow.child_id),
            col(PlacementRow.status),
            col(PlacementRow.phase_transfer_deadline),
            col(PlacementRow.setting_response),
            col(PlacementRow.consultation_due),
        )
        .where(col(PlacementRow.area_id) == area_id)
        .order_by(col(PlacementRow.id))
    ).all():
        f = out.setdefault(child_id, {})
        if status != "withdrawn" or "status" not in f:
            f["status"] = status  # the latest, withdrawals aside
        if deadline is not None:
            f["deadline"] = deadline
        if status == "consulted" and response is None and due is not None and now > due:
            f["overdue"] = True
    return {k: _Latest(**v) for k, v in out.items()}


def _deadline(b: WorklistBase, latest: _Latest, now: dt.date) -> dt.date | None:
    """The child's phase-transfer deadline: its placement's, else the round's (the statutory
    calendar from today: :func:`placement.statutory.entry_year`)."""
    if latest.deadline is not None:
        return latest.deadline
    return statutory.phase_transfer_deadline(b.year_at_entry, statutory.entry_year(now))


def _matches(b: WorklistBase, f: WorklistFilters, latest: _Latest, now: dt.date) -> bool:
    """Whether the child passes every filter set."""
    if f.need is not None and b.primary_need != f.need.value:
        return False
    if f.year is not None and b.nc_year != f.year:
        return False
    if f.q is not None and f.q.lower() not in b.child_id.lower():
        return False
    if f.run_outcome is not None and b.run_outcome != f.run_outcome:
        return False
    if f.status is not None and (latest.status or "none") != f.status:
        return False
    if f.consultation_overdue is not None and latest.overdue != f.consultation_overdue:
        return False
    deadline = _deadline(b, latest, now)
    return f.deadline_within_days is None or not (
        deadline is None
        or latest.status == "confirmed"
        or (deadline - now).days > f.deadline_within_days
    )


def _summaries(
    base: list[WorklistBase], latest: dict[str, _Latest], f: WorklistFilters
) -> Iterator[tuple[WorklistBase, _Latest]]:
    now = today()
    for b in base:  # filtered on plain facts; a summary made only for the page shown
        lt = latest.get(b.child_id, _Latest())
        if _matches(b, f, lt, now):
            yield b, lt


def worklist(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    pg: PageParams,
    filters: WorklistFilters,
    *,
    unknown: list[str] | tuple[str, ...] = (),
) -> Page[ChildSummary]:
    """The officer's worklist: the area's children with their run outcome and workflow
    status, filtered; ``unknown`` filters (the caller's parameters that are none of
    :data:`WORKLIST_PARAMS`) are refused, naming the first."""
    require(who, "officer")
    if unknown:
        raise InvalidError(
            f"unknown filter {unknown[0]!r}: use {', '.join(sorted(WORKLIST_PARAMS))}",
            slug="unknown-parameter",
        )
    area = area_for(session, who, area_id)
    base = ctx.cache.get(session, area).worklist()
    items: list[ChildSummary] = []
    total = 0
    for b, lt in _summaries(base, _latest_placements(session, area_id), filters):
        total += 1
        if pg.offset < total <= pg.offset + pg.size:
            items.append(
                ChildSummary(
                    child_id=b.child_id,
                    nc_year=b.nc_year,
                    primary_need=b.primary_need,
                    placement_status=lt.status,
                    run_outcome=b.run_outcome,
                    planned_setting_id=b.planned_setting_id,
                    consultation_overdue=lt.overdue,
                    phase_transfer_deadline=_deadline(b, lt, today()),
                    movement=b.movement,
                )
            )
    return Page(items=items, page=pg.page, size=pg.size, total=total)


def get_child(
    ctx: Ctx, session: Session, who: Principal, area_id: int, child_id: str
) -> ChildPublic:
    """The child's record (an officer's LA's child, or a family's own)."""
    row = child_for(session, who, area_id, child_id)
    audit_read(ctx, session, who, row, "child.read")
    return ChildPublic(area_id=area_id, child=json.loads(row.data), first_name=row.first_name)


def _audience(who: Principal, asked: Audience | None) -> Audience:
    """Families always get family wording (no codes, costs or scores)."""
    return "family" if who.role == "family" else (asked or "officer")


def _family_requests(
    session: Session, who: Principal, row: ChildRow, doc: dict[str, Any]
) -> list[dict[str, Any]]:
    """The family's requests as it sees them: "being considered" until an officer decides."""
    view: list[dict[str, Any]] = requests_view(session, who, child=row, listed=doc)["requests"]
    return view


def _list_doc(
    ctx: Ctx, session: Session, who: Principal, row: ChildRow, aud: Audience
) -> dict[str, Any]:
    doc = _computed(ctx, session, row.area_id).list_doc(row.child_id, aud)
    if who.role == "family":
        doc["requests"] = _family_requests(session, who, row, doc)
    return doc


def _list_read(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    audience: Audience | None,
) -> tuple[ChildRow, Audience]:
    """The child, if the caller may see it, and the wording: the read audited."""
    row = child_for(session, who, area_id, child_id)
    aud = _audience(who, audience)
    audit_read(ctx, session, who, row, "child.list.read", audience=aud)
    return row, aud


def tailored_list_body(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    audience: Audience | None = None,
) -> bytes:
    """The child's tailored list as the API serves it (JSON, serialised once per list and
    wording and kept): options with reasons, requests with the statutory tests, settings
    left off and why."""
    row, aud = _list_read(ctx, session, who, area_id, child_id, audience)
    body = _computed(ctx, session, area_id).list_json(child_id, aud)
    if who.role == "family":  # requests: "being considered" until an officer decides
        d = json.loads(body)
        d["requests"] = _family_requests(session, who, row, d)
        body = json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode()
    return body


def tailored_list_doc(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    audience: Audience | None = None,
) -> dict[str, Any]:
    """The child's tailored list as a document for the pages (the same content as
    :func:`tailored_list_body`, built from the core's list)."""
    row, aud = _list_read(ctx, session, who, area_id, child_id, audience)
    return _list_doc(ctx, session, who, row, aud)


def explain(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    setting_id: str,
    audience: Audience | None = None,
) -> dict[str, Any]:
    """Why a setting is on the child's list, or why not, and the statutory tests if the
    family asked for it (:func:`placement.explain.explain_setting`); a family sees its saved
    requests with their status rather than the run's draft assessment."""
    row = child_for(session, who, area_id, child_id)
    aud = _audience(who, audience)
    audit_read(ctx, session, who, row, "child.explanation.read", setting_id=setting_id)
    comp = _computed(ctx, session, area_id)
    if setting_id not in comp.problem.setting_index:
        raise NotFoundError(f"setting {setting_id} not found")
    exp = explain_setting(
        comp.problem, child_id, setting_id, listed=comp.tailored(child_id), run_id=comp.run_id
    )
    requests = None
    if who.role == "family":
        requests = _family_requests(session, who, row, comp.list_doc(child_id, aud))
    return exp.as_dict(aud, requests=requests)


def what_if(
    ctx: Ctx, session: Session, who: Principal, area_id: int, child_id: str, setting_id: str
) -> dict[str, Any]:
    """What if the child were placed at this setting (officers): the area re-solved exactly
    with the optimised mechanism, the change in each tier, and every other child who would
    move, with setting names."""
    require(who, "officer")
    row = child_for(session, who, area_id, child_id)
    audit_read(ctx, session, who, row, "child.what_if.read", setting_id=setting_id)
    comp = _computed(ctx, session, area_id)
    p = comp.problem
    if setting_id not in p.setting_index:
        raise NotFoundError(f"setting {setting_id} not found")
    w = core_what_if(comp.flow_state(), child_id, setting_id)
    names = {s.setting_id: s.name for s in p.settings}

    def where(sid: str | None) -> dict[str, str] | None:
        return None if sid is None else {"setting_id": sid, "name": names[sid]}

    return {
        "child_id": child_id,
        "setting": where(setting_id),
        "possible": w.possible,
        "reasons": [{"text": render(r, "officer", names), **r.as_dict()} for r in w.reasons],
        "change": w.change,
        "moves": [
            {"child_id": m.child_id, "from": where(m.from_setting), "to": where(m.to_setting)}
            for m in w.moves
        ],
        "mechanism": "optimised",
        "note": "re-solved exactly with the child's place fixed; advisory until an officer "
        "confirms",
    }
