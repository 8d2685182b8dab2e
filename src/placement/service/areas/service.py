"""Areas and their settings: store, import and generate an area; read areas, settings and an
area's aggregate figures (planners: no child-level fields, small counts withheld)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from placement import disclosure
from placement.area import Area
from placement.domain import Child, DomainError, Need, phase_of_year
from placement.files.errors import InputError
from placement.files.policy_files import load_policy
from placement.generate import generate_area as generate_core_area
from placement.generate.names import first_name
from placement.policy import PolicyError
from placement.scenarios.report import DISCLOSURE_NOTE
from placement.service.access import area_for, require
from placement.service.areas.models import AreaRow, PoolRow, SettingRow
from placement.service.areas.schemas import AreaGenerate, AreaImport, AreaPublic, SettingPublic
from placement.service.audit.events import record
from placement.service.children.models import ChildRow
from placement.service.clock import utcnow
from placement.service.codec import child_to_dict, setting_to_dict
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.disclosed import counts, planner_metrics, shown
from placement.service.errors import InvalidError, NotFoundError
from placement.service.placements.models import PlacementRow
from placement.service.requests.models import RequestRow
from placement.service.schemas import Page, PageParams, control_character_at, public
from placement.service.security import Principal
from placement.wording import describe_kind

__all__ = [
    "aggregates",
    "area_public",
    "generate_area",
    "get_area",
    "get_setting",
    "import_area",
    "list_areas",
    "list_settings",
    "read_area_folder",
    "setting_choices",
    "store_area",
]


def area_public(a: AreaRow, who: Principal) -> AreaPublic:
    return public(AreaPublic, a, num_children=shown(a.num_children, who))


def list_areas(session: Session, who: Principal, pg: PageParams) -> Page[AreaPublic]:
    """The caller's LA's areas (officers and planners)."""
    require(who, "officer", "planner")
    q = select(AreaRow).where(AreaRow.la_code == who.la_code)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(AreaRow.id)).offset(pg.offset).limit(pg.size)).all()
    return Page(items=[area_public(a, who) for a in rows], page=pg.page, size=pg.size, total=total)


def get_area(session: Session, who: Principal, area_id: int) -> AreaPublic:
    require(who, "officer", "planner")
    return area_public(area_for(session, who, area_id), who)


# -- storing ----------------------------------------------------------------------------------


def store_area(
    session: Session,
    who: Principal,
    *,
    area: Area,
    overrides: dict[str, Any],
    name: str,
    source: str,
    max_children: int,
) -> AreaRow:
    """Store an area for the caller's LA (children, settings, pools, travel, overrides)."""
    if len(area.children) > max_children:
        raise InvalidError(
            f"{len(area.children)} children: more than this service's {max_children}"
        )
    try:
        load_policy(overrides)
    except (PolicyError, TypeError, ValueError, AttributeError) as e:
        raise InvalidError(f"policy.toml: {e}") from None
    begin_write(session)
    row = AreaRow(
        name=name[:200],
        la_code=who.la_code,
        source=source[:500],
        num_children=len(area.children),
        num_settings=len(area.settings),
        travel=json.dumps([[t.child_id, t.setting_id, t.minutes] for t in area.travel]),
        policy_overrides=json.dumps(overrides, sort_keys=True),
        created_by=who.username,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    _store_settings(session, row.id, area)
    _store_children(session, who, row.id, area)
    record(
        session, who, "area.create", "area", str(row.id),
        source=source, children=len(area.children), settings=len(area.settings),
    )  # fmt: skip
    session.commit()
    return row


def _store_settings(session: Session, area_id: int, area: Area) -> None:
    srows = [
        SettingRow(
            area_id=area_id,
            setting_id=s.setting_id,
            name=s.name[:200],
            kind=s.kind.value,
            capacity=s.capacity,
            roll=s.roll,
            data=json.dumps(setting_to_dict(s), sort_keys=True),
        )
        for s in area.settings
    ]
    session.add_all(srows)
    session.flush()
    by_id = {r.setting_id: r.id for r in srows}
    session.add_all(
        PoolRow(setting_row_id=by_id[s.setting_id] or 0, need=n.value, places=p.places, roll=p.roll)
        for s in area.settings
        for n, p in s.pools.items()
    )


def _case_dates(c: Child, today: dt.date) -> dict[str, dt.date | None]:
    """Made-up case dates for a stored area's child (no real child's data exists here): a new
    plan's assessment requested up to 20 weeks ago; any other plan issued up to a year ago,
    so that its annual review falls in the coming year. The same for the same child and day;
    an officer can correct them."""
    h = int.from_bytes(hashlib.sha256(c.child_id.encode()).digest()[:4], "big")
    if c.new_plan:
        return {"assessment_requested_on": today - dt.timedelta(days=h % 140)}
    return {"plan_issued_on": today - dt.timedelta(days=h % 365)}


def _store_children(session: Session, who: Principal, area_id: int, area: Area) -> None:
    now = utcnow()
    session.bulk_insert_mappings(
        ChildRow,
        [
            {
                "area_id": area_id,
                "child_id": c.child_id,
                "primary_need": c.primary_need.value,
                "nc_year": c.nc_year,
                "data": json.dumps(child_to_dict(c), sort_keys=True),
                "first_name": first_name(c.child_id, c.sex.value),
                **_case_dates(c, now.date()),
            }
            for c in area.children
        ],
    )
    session.bulk_insert_mappings(
        RequestRow,
        [
            {
                "area_id": area_id,
                "child_id": c.child_id,
                "setting_id": p.setting_id,
                "rank": p.rank,
                "status": "open",
                "made_at": now,
                "made_by": who.username,
            }
            for c in area.children
            for p in c.preferences
        ],
    )


def read_area_folder(import_root: Path, path: str) -> tuple[Area, dict[str, Any]]:
    """Read an area directory under the service's import root (nothing outside it)."""
    from placement.files.area_reader import load_area

    root = import_root.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise InvalidError(f"{path!r} is outside the import folder")
    if not target.is_dir():
        raise InvalidError(f"{path!r} is not an area folder under the import folder")
    try:
        loaded = load_area(target)
    except (InputError, DomainError) as e:
        raise InvalidError(str(e)) from None
    return loaded.area, loaded.policy_overrides


def import_area(ctx: Ctx, session: Session, who: Principal, body: AreaImport) -> AreaPublic:
    """Import an area directory (children.csv, settings.csv, ...) from the server's import
    folder (``PLACEMENT_IMPORT_ROOT``) for the planner's LA."""
    require(who, "planner")
    area, overrides = read_area_folder(ctx.settings.import_root, body.path)
    for kind, items in (("setting", area.settings), ("child", area.children)):
        for x in items:  # text PostgreSQL cannot store, or that would break an export
            where = control_character_at(x)
            if where is not None:
                xid = getattr(x, f"{kind}_id", "?")
                raise InvalidError(f"{kind} {xid}: a control character in {where.lstrip('.')}")
    row = store_area(
        session, who, area=area, overrides=overrides, name=body.name or area.name,
        source=f"import:{body.path}", max_children=ctx.settings.max_area_children,
    )  # fmt: skip
    return area_public(row, who)


def generate_area(ctx: Ctx, session: Session, who: Principal, body: AreaGenerate) -> AreaPublic:
    """Generate a synthetic area calibrated to a real LA (no real child data)."""
    require(who, "planner")
    try:
        area = generate_core_area(body.like, seed=body.seed, cohort=body.cohort, scale=body.scale)
    except (LookupError, ValueError, DomainError) as e:
        raise InvalidError(str(e.args[0] if e.args else e)) from None
    row = store_area(
        session,
        who,
        area=area,
        overrides={},
        name=body.name or f"like {body.like} (seed {body.seed})",
        source=f"generate:{body.like}:seed={body.seed}:cohort={body.cohort}:scale={body.scale}",
        max_children=ctx.settings.max_area_children,
    )
    return area_public(row, who)


# -- settings ---------------------------------------------------------------------------------


def _setting_public(
    session: Session, r: SettingRow, details: bool, who: Principal
) -> SettingPublic:
    """Capacity and roll (published, GIAS) are exact; places confirmed through this service,
    and the free places they leave, are counts of children (planners: disclosure)."""
    pools = {
        p.need: {
            "places": p.places,
            "roll": p.roll,
            "confirmed": shown(p.confirmed, who, max(0, p.places - p.roll)),
            "free": shown(max(0, p.places - p.roll - p.confirmed), who, max(0, p.places - p.roll)),
        }
        for p in session.exec(select(PoolRow).where(PoolRow.setting_row_id == r.id)).all()
    }
    return SettingPublic(
        setting_id=r.setting_id,
        name=r.name,
        kind=r.kind,
        capacity=r.capacity,
        roll=r.roll,
        confirmed=shown(r.confirmed, who, max(0, r.capacity - r.roll)),
        free=shown(max(0, r.capacity - r.roll - r.confirmed), who, max(0, r.capacity - r.roll)),
        pools=pools,
        details=json.loads(r.data) if details else None,
    )


def list_settings(
    session: Session, who: Principal, area_id: int, pg: PageParams
) -> Page[SettingPublic]:
    require(who, "officer", "planner")
    area_for(session, who, area_id)
    q = select(SettingRow).where(SettingRow.area_id == area_id)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(
        q.order_by(col(SettingRow.setting_id)).offset(pg.offset).limit(pg.size)
    ).all()
    return Page(
        items=[_setting_public(session, r, False, who) for r in rows],
        page=pg.page,
        size=pg.size,
        total=total,
    )


def get_setting(session: Session, who: Principal, area_id: int, setting_id: str) -> SettingPublic:
    require(who, "officer", "planner")
    area_for(session, who, area_id)
    r = session.exec(
        select(SettingRow).where(SettingRow.area_id == area_id, SettingRow.setting_id == setting_id)
    ).first()
    if r is None:
        raise NotFoundError(f"setting {setting_id} not found")
    return _setting_public(session, r, True, who)


def setting_choices(session: Session, *, area_id: int) -> list[dict[str, str]]:
    """Every setting of an area a family may ask for, by name: its id, name, kind and the
    kind in a family's words (published facts only: no capacity, roll or cost)."""
    rows = session.exec(
        select(SettingRow.setting_id, SettingRow.name, SettingRow.kind)
        .where(SettingRow.area_id == area_id)
        .order_by(col(SettingRow.name), col(SettingRow.setting_id))
    ).all()
    return [
        {"setting_id": sid, "name": name, "kind": kind, "kind_words": describe_kind(kind)}
        for sid, name, kind in rows
    ]


# -- aggregates -------------------------------------------------------------------------------

RUN_FIGURES = (
    "children",
    "placed",
    "placed_pct",
    "first_preference_pct",
    "request_honoured_pct",
    "mean_journey_min",
    "total_cost_gbp",
)


def _places_by_kind(session: Session, area_id: int) -> dict[str, dict[str, int | str]]:
    """Settings, capacity, free and confirmed places by kind of setting. Capacity is
    published; free places are capacity - roll - confirmed, and the roll is published too,
    so an exact free count would give the confirmed count away (rounded, never above the
    capacity less the roll: 59 free of 59 is not "60")."""
    places: dict[str, dict[str, int]] = {}
    room: Counter[str] = Counter()  # capacity less roll: free + confirmed never exceed it
    for kind, cap, roll, conf in session.exec(
        select(SettingRow.kind, SettingRow.capacity, SettingRow.roll, SettingRow.confirmed).where(
            SettingRow.area_id == area_id
        )
    ).all():
        d = places.setdefault(kind, {"settings": 0, "capacity": 0, "free": 0, "confirmed": 0})
        d["settings"] += 1
        d["capacity"] += cap
        d["free"] += max(0, cap - roll - conf)
        d["confirmed"] += conf
        room[kind] += max(0, cap - roll)
    return {
        k: {
            f: (disclosure.count_within(v, room[k]) if f in ("confirmed", "free") else v)
            for f, v in d.items()
        }
        for k, d in sorted(places.items())
    }


def _latest_run_figures(ctx: Ctx, session: Session, area_id: int) -> dict[str, Any] | None:
    run = ctx.cache.latest_run(session, area_id)
    if run is None or not run.metrics:
        return None
    m = planner_metrics(json.loads(run.metrics))
    return {
        "run_id": run.id,
        "mechanism": run.mechanism,
        **{k: m.get(k, disclosure.WITHHELD) for k in RUN_FIGURES},
        "unplaced_by_need": m["unmet_by_need"],
        "unplaced_by_phase": m["unmet_by_phase"],
    }


def aggregates(ctx: Ctx, session: Session, who: Principal, area_id: int) -> dict[str, Any]:
    """Counts by need, phase and kind of setting, and the latest run's figures: no
    child-level fields; counts from 1 to 9 are withheld (null)."""
    require(who, "planner", "officer")
    area = area_for(session, who, area_id)
    by_need: Counter[str] = Counter()
    by_phase: Counter[str] = Counter()
    for need, year in session.exec(
        select(ChildRow.primary_need, ChildRow.nc_year).where(ChildRow.area_id == area_id)
    ).all():
        by_need[need] += 1
        by_phase[phase_of_year(year).label if year is not None else "unknown"] += 1
    status: Counter[str] = Counter(
        session.exec(select(PlacementRow.status).where(PlacementRow.area_id == area_id)).all()
    )
    overridden = session.exec(
        select(func.count()).where(
            PlacementRow.area_id == area_id,
            PlacementRow.status == "confirmed",
            col(PlacementRow.override_rules).is_not(None),
        )
    ).one()
    return {
        "area_id": area.id,
        "disclosure": DISCLOSURE_NOTE,
        "children_by_need": counts(by_need),
        "children_by_phase": counts(by_phase),
        "places_by_kind": _places_by_kind(session, area_id),
        "placements_by_status": counts(status),
        # confirmations an officer made against a failed eligibility rule (named, with reasons)
        "confirmed_with_overrides": disclosure.count(int(overridden)),
        "latest_run": _latest_run_figures(ctx, session, area_id),
        "needs": [n.value for n in Need],
    }
