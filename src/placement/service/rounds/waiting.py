"""Waiting lists: a child refused a requested setting because it had no place free stays on
that setting's waiting list until it is named there, the family withdraws the request, or a
later decision changes it. When a place frees (a withdrawal, a decline, new places), the
worklist shows whom to offer it to first, in the order the LA's casework policy states
(``models/casework.toml`` ``[waiting_list] order``; the law sets none for children with EHC
plans): children in care first, the higher need band, a sibling at the setting, the nearer
journey, then who was refused first."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from placement.problem import Problem
from placement.service.access import area_for, require
from placement.service.areas.models import SettingRow
from placement.service.children.models import ChildRow
from placement.service.context import Ctx
from placement.service.decisions.models import DecisionRow
from placement.service.decisions.service import places_now
from placement.service.placements.models import PlacementRow
from placement.service.requests.models import RequestRow
from placement.service.security import Principal

__all__ = ["NO_PLACE_CODES", "Waiting", "WaitingList", "waiting_key", "waiting_lists"]

# the grounds that put a child on a setting's waiting list
NO_PLACE_CODES = frozenset({"no_place_now", "setting_full", "pool_full"})


@dataclass(frozen=True, slots=True)
class Waiting:
    """A child on a setting's waiting list, with the facts its place in the order rests on."""

    child_id: str
    first_name: str
    rank: int  # the family's choice number for the setting
    refused_at: dt.datetime
    decision_id: int
    looked_after: bool
    need_band: int
    sibling: bool
    journey_min: int | None


@dataclass(frozen=True, slots=True)
class WaitingList:
    setting_id: str
    name: str
    free_now: int
    waiting: tuple[Waiting, ...]  # in the order places are offered

    @property
    def offer_first(self) -> Waiting | None:
        """Whom to offer a free place to first (None: no place free, or nobody waiting)."""
        return self.waiting[0] if self.free_now > 0 and self.waiting else None


def _no_place_refusals(session: Session, area_id: int) -> list[tuple[RequestRow, DecisionRow]]:
    """Requests refused for want of a place, still refused (no later request or decision has
    taken their place): each with the decision that refused it."""
    rows = session.exec(
        select(RequestRow, DecisionRow)
        .join(DecisionRow, col(DecisionRow.id) == col(RequestRow.decision_id))
        .where(RequestRow.area_id == area_id, RequestRow.status == "refused")
    ).all()
    out = []
    for req, dec in rows:
        for q in json.loads(dec.record).get("requests", []):
            codes = {g["code"] for g in q.get("grounds", [])}
            if q.get("request_id") == req.id and codes & NO_PLACE_CODES:
                out.append((req, dec))
    return out


def waiting_key(w: Waiting, order: Sequence[str]) -> tuple[Any, ...]:
    """The sort key of a waiting child under the LA's ``order`` of rules (lower first)."""
    parts: list[Any] = []
    for rule in order:
        if rule == "looked_after":
            parts.append(not w.looked_after)
        elif rule == "need_band":
            parts.append(-w.need_band)
        elif rule == "sibling":
            parts.append(not w.sibling)
        elif rule == "distance":
            parts.append(w.journey_min if w.journey_min is not None else 10**6)
        elif rule == "refused_first":
            parts.append(w.refused_at)
    return (*parts, w.refused_at, w.child_id)


def _journey(p: Problem | None, child_id: str, setting_id: str) -> int | None:
    if p is None or child_id not in p.child_index or setting_id not in p.setting_index:
        return None
    k = p.pair_index(p.child_index[child_id], p.setting_index[setting_id])
    return int(p.pairs.travel_min[k]) if k >= 0 else None


def build_lists(
    session: Session, area_id: int, p: Problem | None, order: Sequence[str]
) -> list[WaitingList]:
    """Every setting's waiting list (settings with nobody waiting left out)."""
    refused = _no_place_refusals(session, area_id)
    if not refused:
        return []
    confirmed = set(
        session.exec(
            select(PlacementRow.child_id, PlacementRow.setting_id).where(
                PlacementRow.area_id == area_id, PlacementRow.status == "confirmed"
            )
        ).all()
    )
    ids = {r.child_id for r, _ in refused}
    children = {
        c.child_id: c
        for c in session.exec(
            select(ChildRow).where(ChildRow.area_id == area_id, col(ChildRow.child_id).in_(ids))
        ).all()
    }
    by_setting: dict[str, list[Waiting]] = {}
    for req, dec in refused:
        if (req.child_id, req.setting_id) in confirmed or req.child_id not in children:
            continue
        c = children[req.child_id]
        data = json.loads(c.data)
        by_setting.setdefault(req.setting_id, []).append(
            Waiting(
                child_id=req.child_id,
                first_name=c.first_name,
                rank=req.rank,
                refused_at=dec.decided_at,
                decision_id=dec.id or 0,
                looked_after=bool(data.get("looked_after", False)),
                need_band=int(data.get("need_band", 1)),
                sibling=req.setting_id in data.get("sibling_setting_ids", []),
                journey_min=_journey(p, req.child_id, req.setting_id),
            )
        )
    names = dict(
        session.exec(
            select(SettingRow.setting_id, SettingRow.name).where(
                SettingRow.area_id == area_id, col(SettingRow.setting_id).in_(by_setting)
            )
        ).all()
    )
    places = places_now(session, area_id)
    return [
        WaitingList(
            sid,
            names.get(sid, sid),
            max(0, places[sid].free) if sid in places else 0,
            tuple(sorted(ws, key=lambda w: waiting_key(w, order))),
        )
        for sid, ws in sorted(by_setting.items())
    ]


def waiting_lists(ctx: Ctx, session: Session, who: Principal, area_id: int) -> list[WaitingList]:
    """The area's waiting lists (officers), each with whom to offer a free place to first."""
    require(who, "officer")
    area = area_for(session, who, area_id)
    p = ctx.cache.get(session, area).problem
    return build_lists(session, area_id, p, p.policy.casework.waiting_list_order)
