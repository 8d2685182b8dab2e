"""Decisions as records (issue 20): each decision an officer makes about a child (a setting
named, a request refused, a named place withdrawn, a panel's decision) is stored once with
everything its letter says as it stood then: the requests it decided and, for each refusal,
its statutory route, ground and evidence. The letter is rendered from the record alone, kept
with its hash, and the hash goes into the audit trail. Nothing refuses a request without a
ground that holds at that moment (:func:`placement.grounds.grounds_now`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, func, select

from placement import statutory
from placement.grounds import Objection, Places, grounds_now
from placement.law import preference_route
from placement.policy import Policy
from placement.problem import Problem
from placement.reasons import Ground, Reason
from placement.register import UnknownAreaError, resolve_la
from placement.reports.letters import decision_letter
from placement.service.access import child_for, require
from placement.service.areas.models import AreaRow, PoolRow, SettingRow
from placement.service.audit.events import record
from placement.service.children.models import ChildRow
from placement.service.clock import utcnow
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.decisions.models import DecisionRow
from placement.service.decisions.schemas import DecisionPublic, RefusalCreate
from placement.service.errors import ConflictError, InvalidError, NotFoundError
from placement.service.placements.models import PlacementRow
from placement.service.requests.models import RequestRow
from placement.service.rounds.service import round_number
from placement.service.schemas import public
from placement.service.security import Principal
from placement.wording import NEED_WORDS, describe_kind, render

__all__ = [
    "Decided",
    "DecisionKind",
    "date_words",
    "grounds_for_open_requests",
    "issue",
    "letter_of",
    "objections",
    "open_requests",
    "places_now",
    "preview",
]

DecisionKind = Literal["named", "refused", "withdrawn", "panel"]
LAW_WORDS = {
    Ground.S39_4_A: "section 39(4)(a) of the Children and Families Act 2014",
    Ground.S39_4_B_OTHERS: "section 39(4)(b) of the Children and Families Act 2014: "
    "the efficient education of other children",
    Ground.S39_4_B_RESOURCES: "section 39(4)(b) of the Children and Families Act 2014: "
    "the efficient use of resources",
    Ground.S9_INSTRUCTION: "section 9 of the Education Act 1996: efficient instruction",
    Ground.S9_NO_PLACE: "section 9 of the Education Act 1996: no place available",
    Ground.S9_EA1996: "section 9 of the Education Act 1996: unreasonable public expenditure",
    Ground.ADMISSIONS: "the school's gender of entry (Equality Act 2010, Schedule 11)",
}


def date_words(d: dt.date) -> str:
    """12 January 2027."""
    return f"{d.day} {d:%B %Y}"


@dataclass(frozen=True, slots=True)
class Decided:
    """One request a decision decides: named, or refused with the grounds that held."""

    request: RequestRow
    outcome: Literal["named", "refused"]
    grounds: tuple[Reason, ...] = ()


# -- what holds now ---------------------------------------------------------------------------


def places_now(session: Session, area_id: int) -> dict[str, Places]:
    """Every setting's places, roll and the children confirmed there through the service."""
    confirmed: dict[str, list[str]] = {}
    for sid, cid in session.exec(
        select(PlacementRow.setting_id, PlacementRow.child_id).where(
            PlacementRow.area_id == area_id, PlacementRow.status == "confirmed"
        )
    ).all():
        confirmed.setdefault(sid, []).append(cid)
    pools: dict[int, dict[str, tuple[int, int, int]]] = {}
    for p in session.exec(
        select(PoolRow)
        .join(SettingRow, col(SettingRow.id) == col(PoolRow.setting_row_id))
        .where(SettingRow.area_id == area_id)
    ).all():
        pools.setdefault(p.setting_row_id, {})[p.need] = (p.places, p.roll, p.confirmed)
    return {
        s.setting_id: Places(
            s.capacity, s.roll, tuple(confirmed.get(s.setting_id, ())), pools.get(s.id or 0, {})
        )
        for s in session.exec(select(SettingRow).where(SettingRow.area_id == area_id)).all()
    }


def objections(session: Session, area_id: int, child_id: str) -> dict[str, Objection]:
    """The settings that replied to their consultation about this child objecting, with the
    ground they asserted and their evidence (the latest reply per setting)."""
    out: dict[str, Objection] = {}
    for row in session.exec(
        select(PlacementRow)
        .where(
            PlacementRow.area_id == area_id,
            PlacementRow.child_id == child_id,
            col(PlacementRow.setting_response).is_not(None),
        )
        .order_by(col(PlacementRow.id))
    ).all():
        if row.setting_response == "objects" and row.setting_ground in ("needs", "others"):
            ground: Literal["needs", "others"] = (
                "needs" if row.setting_ground == "needs" else "others"
            )
            out[row.setting_id] = Objection(ground, row.setting_response_note or "")
        else:
            out.pop(row.setting_id, None)
    return out


def open_requests(session: Session, area_id: int, child_id: str) -> list[RequestRow]:
    """The child's requests no decision has decided yet, in the family's order."""
    return list(
        session.exec(
            select(RequestRow)
            .where(
                RequestRow.area_id == area_id,
                RequestRow.child_id == child_id,
                RequestRow.status == "open",
            )
            .order_by(col(RequestRow.rank), col(RequestRow.id))
        ).all()
    )


def assess_open_requests(
    session: Session,
    p: Problem,
    *,
    area_id: int,
    child_id: str,
    named_setting_id: str | None,
) -> list[tuple[RequestRow, list[Reason]]]:
    """Each open request with the grounds that hold now to refuse it if ``named_setting_id``
    is named (the request for the setting named itself: no grounds)."""
    places, objected = places_now(session, area_id), objections(session, area_id, child_id)
    out: list[tuple[RequestRow, list[Reason]]] = []
    for req in open_requests(session, area_id, child_id):
        held: list[Reason] = []
        if (
            req.setting_id != named_setting_id
            and child_id in p.child_index
            and req.setting_id in p.setting_index
        ):
            held = grounds_now(
                p, child_id, req.setting_id, named_setting_id=named_setting_id,
                places=places, objection=objected.get(req.setting_id),
            )  # fmt: skip
        out.append((req, held))
    return out


def grounds_for_open_requests(
    session: Session,
    p: Problem,
    *,
    area_id: int,
    child_id: str,
    named_setting_id: str | None,
) -> list[Decided]:
    """Each open request decided as the named setting (if it is one) or refused on the
    grounds that hold now; :class:`InvalidError` (422) naming the first request for which none
    holds, so that nothing is refused without a ground."""
    out: list[Decided] = []
    assessed = assess_open_requests(
        session, p, area_id=area_id, child_id=child_id, named_setting_id=named_setting_id
    )
    for req, held in assessed:
        if req.setting_id == named_setting_id:
            out.append(Decided(req, "named"))
            continue
        if not held:
            raise InvalidError(
                f"the family's request for {req.setting_id} (choice {req.rank}) has no ground "
                "that holds now to refuse it: name it, or record the evidence first (the "
                "setting's reply to its consultation)",
                slug="request-needs-ground",
                extra={"request_id": req.id, "setting_id": req.setting_id},
            )
        out.append(Decided(req, "refused", tuple(held)))
    return out


@dataclass(frozen=True, slots=True)
class RequestPreview:
    """An open request as a decision would decide it now: named, or refused with the
    grounds that hold (officer words), or stopping the decision (no ground holds)."""

    request_id: int
    setting_id: str
    name: str
    rank: int
    outcome: Literal["named", "refused", "no_ground"]
    grounds: tuple[str, ...]


def preview(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    named_setting_id: str | None,
) -> list[RequestPreview]:
    """What a decision naming ``named_setting_id`` (None: refusing without naming) would do
    to each open request now, shown to the officer before they decide."""
    require(who, "officer")
    child_for(session, who, area_id, child_id)
    area = session.get(AreaRow, area_id)
    assert area is not None
    p = ctx.cache.get(session, area).problem
    names = {st.setting_id: st.name for st in p.settings}
    out = []
    for req, held in assess_open_requests(
        session, p, area_id=area_id, child_id=child_id, named_setting_id=named_setting_id
    ):
        outcome: Literal["named", "refused", "no_ground"] = (
            "named" if req.setting_id == named_setting_id else ("refused" if held else "no_ground")
        )
        grounds = tuple(render(r, "officer", names) for r in held)
        name = names.get(req.setting_id, req.setting_id)
        out.append(RequestPreview(req.id or 0, req.setting_id, name, req.rank, outcome, grounds))
    return out


# -- the record and its letter ----------------------------------------------------------------


def _la(area: AreaRow, policy: Policy) -> dict[str, Any]:
    try:
        name = resolve_la(area.la_code).la_name
    except UnknownAreaError:
        name = f"LA {area.la_code}"
    contacts = {
        k: {"name": c.name, "phone": c.phone, "email": c.email}
        for k, c in policy.casework.contacts.items()
    }
    return {
        "code": area.la_code,
        "name": name,
        "contacts": contacts,
        "placeholder": policy.casework.placeholder,
    }


def _ground(r: Reason, names: dict[str, str]) -> dict[str, Any]:
    return {
        "code": r.code.value,
        "ground": r.ground.value,
        "route": r.route,
        "family": render(r, "family", names),
        "officer": render(r, "officer", names),
        "law_words": LAW_WORDS.get(r.ground, r.ground.value),
        "facts": dict(r.facts),
    }


def _request(d: Decided, p: Problem, names: dict[str, str]) -> dict[str, Any]:
    s = p.setting_index.get(d.request.setting_id)
    route = preference_route(p.settings[s]).value if s is not None else "s38_request"
    made = d.request.made_at
    return {
        "request_id": d.request.id,
        "setting_id": d.request.setting_id,
        "name": names.get(d.request.setting_id, d.request.setting_id),
        "rank": d.request.rank,
        "route": route,
        "outcome": d.outcome,
        "made_at": made.isoformat(),
        "made_on_words": date_words(made.date()),
        "grounds": [_ground(r, names) for r in d.grounds],
    }


def _setting(p: Problem, child_id: str, setting_id: str | None) -> dict[str, Any] | None:
    if setting_id is None or setting_id not in p.setting_index:
        return None
    s = p.setting_index[setting_id]
    sett = p.settings[s]
    conditions = []
    i = p.child_index.get(child_id)
    k = p.pair_index(i, s) if i is not None else -1
    if k >= 0 and bool(p.pairs.family_transport[k]):
        conditions.append(
            "You asked for a school or college further away than the nearest one that can meet "
            "your child's needs, so you will arrange the journey (Education Act 1996, s.508B)."
        )
    return {
        "setting_id": setting_id,
        "name": sett.name,
        "kind": sett.kind.value,
        "kind_words": describe_kind(sett.kind.value),
        "conditions": conditions,
    }


def build_record(
    *,
    reference: str,
    kind: DecisionKind,
    area: AreaRow,
    child: ChildRow,
    p: Problem,
    setting_id: str | None,
    decided: Sequence[Decided],
    reason: str,
    round_number: int,
    when: dt.datetime,
) -> dict[str, Any]:
    """Everything the letter says, as it stands now: the record kept with the decision."""
    names = {st.setting_id: st.name for st in p.settings}
    data = json.loads(child.data)
    need = str(data.get("primary_need", child.primary_need))
    today = when.date()
    return {
        "reference": reference,
        "kind": kind,
        "round": round_number,
        "decided_at": when.isoformat(),
        "decided_on_words": date_words(today),
        "entry_year": statutory.entry_year(today),
        "appeal_by": statutory.appeal_deadline(today).isoformat(),
        "appeal_by_words": date_words(statutory.appeal_deadline(today)),
        "la": _la(area, p.policy),
        "child": {
            "child_id": child.child_id,
            "first_name": child.first_name,
            "nc_year": child.nc_year,
            "primary_need": need,
            "need_words": NEED_WORDS.get(need, need),
        },
        "setting": _setting(p, child.child_id, setting_id),
        "requests": [_request(d, p, names) for d in decided],
        "reason": reason,
        "reason_words": reason,
    }


def canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def letter_of(record_text: str) -> str:
    """The letter a stored record renders to (the same bytes every time)."""
    return decision_letter(json.loads(record_text))


def issue(
    session: Session,
    who: Principal,
    *,
    kind: DecisionKind,
    area: AreaRow,
    child: ChildRow,
    p: Problem,
    setting_id: str | None,
    decided: Sequence[Decided],
    reason: str,
    round_number: int,
    placement_id: int | None = None,
) -> DecisionRow:
    """Store the decision with its record and letter, mark the requests it decided, and
    audit its issue with the letter's hash. In the caller's write transaction (not
    committed here)."""
    assert area.id is not None
    n = session.exec(select(func.count()).where(DecisionRow.area_id == area.id)).one()
    when = utcnow()
    reference = f"{area.la_code}/{area.id}/{int(n) + 1}"  # the area's decisions, in order
    rec = build_record(
        reference=reference, kind=kind, area=area, child=child, p=p, setting_id=setting_id,
        decided=decided, reason=reason, round_number=round_number, when=when,
    )  # fmt: skip
    text = canonical(rec)
    letter = letter_of(text)
    digest = hashlib.sha256(letter.encode()).hexdigest()
    row = DecisionRow(
        area_id=area.id, child_id=child.child_id, kind=kind, round_number=round_number,
        placement_id=placement_id, setting_id=setting_id, decided_by=who.username,
        decided_at=when, record=text, letter=letter, letter_sha256=digest,
    )  # fmt: skip
    session.add(row)
    session.flush()
    for d in decided:
        d.request.status, d.request.decision_id, d.request.closed_at = d.outcome, row.id, when
        session.add(d.request)
    record(
        session, who, "decision.issue", "decision", str(row.id),
        child=f"{area.id}/{child.child_id}", kind=kind, setting_id=setting_id,
        reference=reference, letter_sha256=digest,
        requests={str(d.request.id): d.outcome for d in decided},
    )  # fmt: skip
    return row


def decision_public(d: DecisionRow, who: Principal) -> DecisionPublic:
    rec = json.loads(d.record)
    return public(
        DecisionPublic,
        d,
        decided_by=d.decided_by if who.role != "family" else None,
        reference=rec["reference"],
        letter=f"/decisions/{d.id}/letter",
        record=rec,
    )


def list_decisions(
    session: Session, who: Principal, area_id: int, child_id: str
) -> list[DecisionPublic]:
    """The child's decisions, oldest first (an officer's LA's child, or a family's own)."""
    child_for(session, who, area_id, child_id)
    rows = session.exec(
        select(DecisionRow)
        .where(DecisionRow.area_id == area_id, DecisionRow.child_id == child_id)
        .order_by(col(DecisionRow.id))
    ).all()
    return [decision_public(d, who) for d in rows]


def decision_for(session: Session, who: Principal, decision_id: int) -> DecisionRow:
    """A decision about a child the caller may see (404 otherwise, as for a missing one)."""
    require(who, "officer", "family")
    d = session.get(DecisionRow, decision_id)
    if d is None:
        raise NotFoundError(f"decision {decision_id} not found")
    try:
        child_for(session, who, d.area_id, d.child_id)
    except NotFoundError:
        raise NotFoundError(f"decision {decision_id} not found") from None
    return d


def get_decision(session: Session, who: Principal, decision_id: int) -> DecisionPublic:
    return decision_public(decision_for(session, who, decision_id), who)


def letter(session: Session, who: Principal, decision_id: int) -> str:
    """The letter as issued (kept with the decision; its hash is in the audit trail)."""
    return decision_for(session, who, decision_id).letter


def refuse_request(
    ctx: Ctx,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    request_id: int,
    body: RefusalCreate,
) -> DecisionPublic:
    """Refuse one open request now, on the grounds that hold now (against the setting named
    for the child, if one is; else the cheapest suitable setting with a place free): a
    decision with its letter. 422 when no ground holds."""
    require(who, "officer")
    child = child_for(session, who, area_id, child_id)
    area = session.get(AreaRow, area_id)
    assert area is not None
    p = ctx.cache.get(session, area).problem
    begin_write(session)
    req = session.get(RequestRow, request_id)
    if req is None or req.area_id != area_id or req.child_id != child_id:
        raise NotFoundError(f"request {request_id} not found")
    if req.status != "open":
        raise ConflictError(f"the request is already {req.status}", slug="wrong-state")
    named = session.exec(
        select(PlacementRow.setting_id).where(
            PlacementRow.area_id == area_id,
            PlacementRow.child_id == child_id,
            PlacementRow.status == "confirmed",
        )
    ).first()
    held = []
    if child_id in p.child_index and req.setting_id in p.setting_index:
        held = grounds_now(
            p, child_id, req.setting_id, named_setting_id=named,
            places=places_now(session, area_id),
            objection=objections(session, area_id, child_id).get(req.setting_id),
        )  # fmt: skip
    if not held:
        raise InvalidError(
            f"no ground holds now to refuse the request for {req.setting_id}: name it, or "
            "record the evidence first (the setting's reply to its consultation)",
            slug="request-needs-ground",
        )
    d = issue(
        session, who, kind="refused", area=area, child=child, p=p, setting_id=None,
        decided=[Decided(req, "refused", tuple(held))], reason=body.reason,
        round_number=round_number(session, area_id),
    )  # fmt: skip
    session.commit()
    return decision_public(d, who)
