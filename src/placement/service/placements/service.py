"""Placements: proposed -> setting consulted (s.39(2), 15 days) -> confirmed or declined by an
officer, with the statutory dates, the guard rails of a confirmation and its audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from placement import statutory
from placement.domain import nc_year_from_birth, phase_of_year
from placement.problem import Problem
from placement.rules import why_unsuitable
from placement.service.access import area_for, child_for, placement_for, require
from placement.service.areas.models import AreaRow, PoolRow, SettingRow
from placement.service.audit import chain
from placement.service.audit.events import record
from placement.service.children.models import ChildRow
from placement.service.clock import today, utcnow
from placement.service.codec import child_from_dict
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.decisions.service import (
    Decided,
    date_words,
    grounds_for_open_requests,
    issue,
)
from placement.service.engine import policy_for
from placement.service.errors import ConflictError, InvalidError, NotFoundError
from placement.service.placements.models import IdempotencyRecord, PlacementRow
from placement.service.placements.schemas import (
    DecisionCreate,
    PlacementCreate,
    PlacementPublic,
    SettingResponseCreate,
    WithdrawalCreate,
)
from placement.service.rounds.service import round_number
from placement.service.schemas import public
from placement.service.security import Principal
from placement.wording import render

__all__ = [
    "consult",
    "decide",
    "eligibility_failures",
    "get_placement",
    "list_for_child",
    "placement_public",
    "propose",
    "record_reply",
    "request_hash",
    "store_reply",
    "withdraw",
]


def _late(r: PlacementRow) -> bool:
    """The setting replied after its 15 days."""
    return (
        r.setting_responded_at is not None
        and r.consultation_due is not None
        and r.setting_responded_at.date() > r.consultation_due
    )


def placement_public(r: PlacementRow, who: Principal | None = None) -> PlacementPublic:
    """A placement as the caller may see it: a family never sees internal notes, the
    setting's note or staff usernames."""
    overdue = (
        r.status == "consulted"
        and r.consultation_due is not None
        and r.setting_response is None
        and today() > r.consultation_due
    )
    hidden: dict[str, Any] = {}
    if who is not None and who.role == "family":
        hidden = dict.fromkeys(("note", "proposed_by", "setting_response_note", "decided_by"))
    return public(
        PlacementPublic,
        r,
        consultation_overdue=overdue,
        setting_replied_at=r.setting_responded_at,
        setting_reply_late=_late(r),
        override_rules=r.override_rules.split(",") if r.override_rules else [],
        **hidden,
    )


def list_for_child(
    session: Session, who: Principal, area_id: int, child_id: str
) -> list[PlacementPublic]:
    """The child's placements, oldest first (an officer's LA's child, or a family's own)."""
    child_for(session, who, area_id, child_id)
    rows = session.exec(
        select(PlacementRow)
        .where(PlacementRow.area_id == area_id, PlacementRow.child_id == child_id)
        .order_by(col(PlacementRow.id))
    ).all()
    return [placement_public(r, who) for r in rows]


def get_placement(session: Session, who: Principal, placement_id: int) -> PlacementPublic:
    return placement_public(placement_for(session, who, placement_id), who)


def _confirmed_id(session: Session, area_id: int, child_id: str) -> int | None:
    found: int | None = session.exec(
        select(PlacementRow.id).where(
            PlacementRow.area_id == area_id,
            PlacementRow.child_id == child_id,
            PlacementRow.status == "confirmed",
        )
    ).first()
    return found


def propose(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    body: PlacementCreate,
) -> PlacementPublic:
    """Propose a setting for the child (officers)."""
    require(who, "officer")
    child = child_for(session, who, area_id, child_id)
    area = area_for(session, who, area_id)
    begin_write(session)
    srow = session.exec(
        select(SettingRow).where(
            SettingRow.area_id == child.area_id, SettingRow.setting_id == body.setting_id
        )
    ).first()
    if srow is None:
        raise InvalidError(f"setting {body.setting_id!r} is not in this area")
    confirmed = _confirmed_id(session, child.area_id, child.child_id)
    if confirmed is not None:
        raise ConflictError(
            f"the child already has a confirmed placement ({confirmed})", slug="already-placed"
        )
    c = child_from_dict(json.loads(child.data))
    run = ctx.cache.latest_run(session, child.area_id)
    policy_id = run.policy_id if run else ctx.cache.latest_policy_id(session, area.la_code)
    policy = policy_for(session, area, policy_id)
    year = (
        c.nc_year
        if c.nc_year is not None
        else nc_year_from_birth(c.date_of_birth or dt.date(2000, 1, 1), policy.academic_year_start)
    )
    pools = json.loads(srow.data).get("pools", {})
    row = PlacementRow(
        area_id=child.area_id,
        child_id=child.child_id,
        setting_id=body.setting_id,
        pool_need=c.primary_need.value if c.primary_need.value in pools else None,
        status="proposed",
        run_id=run.id if run else None,
        note=body.note,
        proposed_by=who.username,
        phase_transfer_deadline=statutory.phase_transfer_deadline(
            year, statutory.entry_year(today())
        ),
    )
    session.add(row)
    session.flush()
    record(
        session, who, "placement.propose", "placement", str(row.id),
        child=f"{child.area_id}/{child.child_id}", setting_id=body.setting_id,
        phase=phase_of_year(year).label,
    )  # fmt: skip
    session.commit()
    return placement_public(row)


def _child_row(session: Session, row: PlacementRow) -> ChildRow:
    return session.exec(
        select(ChildRow).where(ChildRow.area_id == row.area_id, ChildRow.child_id == row.child_id)
    ).one()


def _locked_placement(session: Session, placement_id: int) -> PlacementRow:
    row = session.get(PlacementRow, placement_id, populate_existing=True)
    if row is None:  # pragma: no cover - checked before the lock
        raise NotFoundError(f"placement {placement_id} not found")
    return row


def consult(session: Session, who: Principal, placement_id: int) -> PlacementPublic:
    """Consult the setting (CFA 2014 s.39(2)): it has 15 days to reply."""
    require(who, "officer")
    placement_for(session, who, placement_id)
    begin_write(session)
    row = _locked_placement(session, placement_id)
    if row.status != "proposed":
        raise ConflictError(
            "the setting is already being consulted (its reply is due by "
            f"{date_words(row.consultation_due) if row.consultation_due else 'soon'})"
            if row.status == "consulted"
            else f"the placement is {row.status}: only a proposal can go to consultation",
            slug="wrong-state",
        )
    now = utcnow()
    row.status = "consulted"
    row.consultation_started_at = now
    row.consultation_due = statutory.consultation_due(now.date())
    session.add(row)
    record(
        session, who, "placement.consult", "placement", str(row.id),
        due=row.consultation_due.isoformat(),
    )  # fmt: skip
    session.commit()
    return placement_public(row)


def store_reply(
    session: Session, who: Principal, placement_id: int, body: SettingResponseCreate
) -> PlacementRow:
    """Store a setting's reply to its consultation (the caller has checked the caller may
    reply for it): evidence for the decision, not a veto. A reply can be changed while the
    consultation is open; each is audited."""
    begin_write(session)
    row = _locked_placement(session, placement_id)
    if row.status != "consulted":
        raise ConflictError(
            f"the placement is {row.status}: a reply is recorded only while the setting is being "
            "consulted",
            slug="wrong-state",
        )
    row.setting_response, row.setting_response_note = body.response, body.note
    row.setting_ground, row.setting_replied_by = body.ground, who.username
    row.setting_responded_at = utcnow()
    session.add(row)
    record(
        session, who, "placement.setting_response", "placement", str(row.id),
        response=body.response, ground=body.ground, late=_late(row),
    )  # fmt: skip
    session.commit()
    return row


def record_reply(
    session: Session, who: Principal, placement_id: int, body: SettingResponseCreate
) -> PlacementPublic:
    """An officer records the setting's reply (sent another way than through the service)."""
    require(who, "officer")
    placement_for(session, who, placement_id)
    return placement_public(store_reply(session, who, placement_id, body))


def _free_place(session: Session, row: PlacementRow) -> None:
    """Give back the place a confirmation took (the setting's and the pool's counters)."""
    srow = session.exec(
        select(SettingRow).where(
            SettingRow.area_id == row.area_id, SettingRow.setting_id == row.setting_id
        )
    ).one()
    session.execute(
        update(SettingRow)
        .where(col(SettingRow.id) == srow.id, col(SettingRow.confirmed) > 0)
        .values(confirmed=col(SettingRow.confirmed) - 1)
    )
    if row.pool_need is not None:
        session.execute(
            update(PoolRow)
            .where(
                col(PoolRow.setting_row_id) == srow.id,
                col(PoolRow.need) == row.pool_need,
                col(PoolRow.confirmed) > 0,
            )
            .values(confirmed=col(PoolRow.confirmed) - 1)
        )


def withdraw(
    ctx: Ctx, session: Session, who: Principal, placement_id: int, body: WithdrawalCreate
) -> PlacementPublic:
    """Withdraw a placement. A proposal or a consultation (a mistake, or the officer has
    changed course) is closed, nothing decided. A confirmed placement's place is given back
    and the withdrawal is a decision with its letter (the family is told why); the child is
    then placed again (a later round)."""
    require(who, "officer")
    first = placement_for(session, who, placement_id)
    area = session.get(AreaRow, first.area_id)
    assert area is not None
    p = ctx.cache.get(session, area).problem if first.status == "confirmed" else None
    begin_write(session)
    row = _locked_placement(session, placement_id)
    if row.status not in ("proposed", "consulted", "confirmed"):
        raise ConflictError(
            f"the placement is already {row.status}: there is nothing to withdraw",
            slug="wrong-state",
        )
    was = row.status
    if was == "confirmed":
        _free_place(session, row)
    row.status, row.decided_by, row.decided_at = "withdrawn", who.username, utcnow()
    row.decision_reason = body.reason
    session.add(row)
    record(
        session, who, "placement.withdrawn", "placement", str(row.id),
        child=f"{row.area_id}/{row.child_id}", setting_id=row.setting_id, was=was,
        reason=body.reason,
    )  # fmt: skip
    if was == "confirmed" and p is not None:
        issue(
            session, who, kind="withdrawn", area=area, child=_child_row(session, row), p=p,
            setting_id=row.setting_id, decided=[], reason=body.reason,
            round_number=round_number(session, row.area_id), placement_id=row.id,
        )  # fmt: skip
    session.commit()
    return placement_public(row)


def eligibility_failures(
    p: Problem, child_id: str, setting_id: str
) -> tuple[list[str], dict[str, str]]:
    """The engine's eligibility rules the setting fails for the child (codes, and each with
    its evidence in officer words)."""
    i, s = p.child_index.get(child_id), p.setting_index.get(setting_id)
    if i is None or s is None:
        return [], {}
    reasons = why_unsuitable(p, i, s)
    names = {p.settings[s].setting_id: p.settings[s].name}
    return [r.code.value for r in reasons], {
        r.code.value: render(r, "officer", names) for r in reasons
    }


def request_hash(method: str, path: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(chain.canonical([method, path, body]).encode()).hexdigest()


# -- decisions --------------------------------------------------------------------------------


def _not_decidable(status: str) -> str:
    """Why a placement in ``status`` cannot be decided, and what to do instead."""
    if status == "proposed":
        return "the setting has not been consulted yet: start the consultation first"
    if status == "confirmed":
        return "the placement is already confirmed: to change it, withdraw it first"
    return f"the placement is {status}: propose the setting again to decide on it"


def _replayed(
    session: Session, who: Principal, key: str | None, req_hash: str
) -> tuple[int, dict[str, Any]] | None:
    """The first answer to an idempotent request already made, if any."""
    if key is None:
        return None
    seen = session.get(IdempotencyRecord, (who.user_id, key))
    if seen is None:
        return None
    if seen.request_hash != req_hash:
        raise InvalidError(
            "this Idempotency-Key was used with another request", slug="idempotency-key"
        )
    session.rollback()
    return seen.status_code, json.loads(seen.response)


def _check_confirmation(
    ctx: Ctx, session: Session, row: PlacementRow, area: AreaRow, body: DecisionCreate
) -> list[str]:
    """The guard rails of a confirmation, checked with the engine's own eligibility rules
    (:func:`placement.rules.why_unsuitable`): a setting that fails any rule needs each failed
    rule named in ``overrides`` and a reason; anything but the recommended option needs a
    reason (UK GDPR Art. 22: a person decides, and says why). Returns the rules overridden."""
    computed = ctx.cache.get(session, area)
    tl = computed.tailored(row.child_id)
    ranked = [o.setting_id for o in tl.options]
    row.top_setting_id = ranked[0] if ranked else None
    row.list_rank = ranked.index(row.setting_id) + 1 if row.setting_id in ranked else None
    row.recommended_setting_id = tl.recommended_setting_id
    failed, texts = eligibility_failures(computed.problem, row.child_id, row.setting_id)
    missing = [c for c in failed if c not in body.overrides]
    extra = [c for c in body.overrides if c not in failed]
    if missing:
        raise InvalidError(
            f"{row.setting_id} fails the engine's rules for this child: "
            + "; ".join(texts[c] for c in missing)
            + ". To confirm it anyway, name each failed rule in overrides and give a reason",
            slug="override-required",
        )
    if extra:
        raise InvalidError(
            f"overrides name rules that {row.setting_id} passes for this child: "
            + ", ".join(extra),
            slug="override",
        )
    if failed and not body.reason:
        raise InvalidError(
            "a confirmation that overrides the rules needs a reason", slug="reason-required"
        )
    if row.setting_id != row.recommended_setting_id and not body.reason:
        raise InvalidError(
            f"{row.setting_id} is not the recommended option "
            f"({row.recommended_setting_id or 'none'}): give a reason",
            slug="reason-required",
        )
    return failed


def _take_place(session: Session, row: PlacementRow) -> None:
    """Take a place with conditional UPDATEs on the setting's and the pool's counters (never
    past capacity; 409 if none is left)."""
    already = _confirmed_id(session, row.area_id, row.child_id)
    if already is not None:
        raise ConflictError(
            f"the child already has a confirmed placement ({already})", slug="already-placed"
        )
    srow = session.exec(
        select(SettingRow).where(
            SettingRow.area_id == row.area_id, SettingRow.setting_id == row.setting_id
        )
    ).one()
    took = session.execute(
        update(SettingRow)
        .where(
            col(SettingRow.id) == srow.id,
            col(SettingRow.confirmed) < col(SettingRow.capacity) - col(SettingRow.roll),
        )
        .values(confirmed=col(SettingRow.confirmed) + 1)
    )
    if took.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"no place is left at {row.setting_id}", slug="no-place")
    if row.pool_need is None:
        return
    took = session.execute(
        update(PoolRow)
        .where(
            col(PoolRow.setting_row_id) == srow.id,
            col(PoolRow.need) == row.pool_need,
            col(PoolRow.confirmed) < col(PoolRow.places) - col(PoolRow.roll),
        )
        .values(confirmed=col(PoolRow.confirmed) + 1)
    )
    if took.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(
            f"no {row.pool_need} place is left at {row.setting_id}", slug="no-place"
        )


def _withdraw_others(session: Session, who: Principal, row: PlacementRow) -> None:
    """A confirmation closes the child's other open proposals."""
    for other in session.exec(
        select(PlacementRow).where(
            PlacementRow.area_id == row.area_id,
            PlacementRow.child_id == row.child_id,
            col(PlacementRow.status).in_(("proposed", "consulted")),
            col(PlacementRow.id) != row.id,
        )
    ).all():
        other.status = "withdrawn"
        other.decided_by, other.decided_at = who.username, utcnow()
        other.decision_reason = f"placement {row.id} at {row.setting_id} was confirmed"
        session.add(other)
        record(
            session, who, "placement.withdrawn", "placement", str(other.id),
            child=f"{row.area_id}/{row.child_id}", setting_id=other.setting_id, because=row.id,
        )  # fmt: skip


def _decided(
    session: Session,
    who: Principal,
    row: PlacementRow,
    body: DecisionCreate,
    failed: list[str],
    key: str | None,
) -> None:
    row.status = body.outcome
    row.decided_by, row.decided_at, row.decision_reason = who.username, utcnow(), body.reason
    row.override_rules = ",".join(failed) or None
    session.add(row)
    session.flush()
    record(
        session, who, f"placement.{body.outcome}", "placement", str(row.id),
        child=f"{row.area_id}/{row.child_id}", setting_id=row.setting_id, reason=body.reason,
        list_rank=row.list_rank, top_setting_id=row.top_setting_id,
        recommended_setting_id=row.recommended_setting_id, overrides=failed,
        idempotency_key=key,
    )  # fmt: skip


def decide(
    ctx: Ctx,
    session: Session,
    who: Principal,
    placement_id: int,
    body: DecisionCreate,
    *,
    idempotency_key: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Confirm or decline a consulted placement. Returns (status code, body).

    Under the write lock: replay an idempotent request; check the state. A decline needs a
    reason. A confirmation passes the guard rails (:func:`_check_confirmation`), takes a
    place (:func:`_take_place`) and withdraws the child's other open proposals; the
    overridden rules are kept on the placement and in the audit trail.
    """
    require(who, "officer")
    first = placement_for(session, who, placement_id)
    area = session.get(AreaRow, first.area_id)
    assert area is not None
    if body.outcome == "confirmed":
        ctx.cache.get(session, area)  # build outside the write lock
    req_hash = request_hash(
        "POST", f"/placements/{placement_id}/decision", body.model_dump(mode="json")
    )
    begin_write(session)
    replay = _replayed(session, who, idempotency_key, req_hash)
    if replay is not None:
        return replay
    row = _locked_placement(session, placement_id)
    if row.status != "consulted":
        raise ConflictError(_not_decidable(row.status), slug="wrong-state")
    if body.outcome == "declined" and not body.reason:
        raise InvalidError("a decline needs a reason", slug="reason-required")
    if body.outcome == "declined" and body.overrides:
        raise InvalidError("overrides apply only to a confirmation", slug="override")
    failed: list[str] = []
    decided: list[Decided] = []
    if body.outcome == "confirmed":
        failed = _check_confirmation(ctx, session, row, area, body)
        p = ctx.cache.get(session, area).problem
        decided = grounds_for_open_requests(
            session, p, area_id=row.area_id, child_id=row.child_id, named_setting_id=row.setting_id
        )
        _take_place(session, row)
    _decided(session, who, row, body, failed, idempotency_key)
    if body.outcome == "confirmed":
        _withdraw_others(session, who, row)
        issue(
            session, who, kind="named", area=area, child=_child_row(session, row), p=p,
            setting_id=row.setting_id, decided=decided, reason=body.reason,
            round_number=round_number(session, row.area_id), placement_id=row.id,
        )  # fmt: skip
    out: dict[str, Any] = placement_public(row).model_dump(mode="json")
    if idempotency_key is not None:
        session.add(
            IdempotencyRecord(
                user_id=who.user_id,
                key=idempotency_key,
                request_hash=req_hash,
                status_code=201,
                response=json.dumps(out, default=str),
            )
        )
    session.commit()
    return 201, out
