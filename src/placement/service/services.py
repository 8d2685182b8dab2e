"""Service functions: keyword-only, typed, one transaction each. Routes call these and shape
the reply; domain errors are :mod:`placement.service.errors` exceptions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from placement import disclosure
from placement.area import Area
from placement.domain import DomainError, Need, nc_year_from_birth, phase_of_year
from placement.files.errors import InputError
from placement.files.policy_files import load_policy
from placement.policy import PolicyError
from placement.problem import Problem
from placement.scenarios.report import DISCLOSURE_NOTE, export_metrics
from placement.scenarios.spec import Scenario
from placement.service import accounts, audit, statutory
from placement.service.codec import child_from_dict, child_to_dict, setting_to_dict
from placement.service.core import (
    CoreCache,
    Jobs,
    WorklistBase,
    policy_for,
    service_scenario,
)
from placement.service.db import begin_write
from placement.service.errors import ConflictError, InvalidError, NotFoundError, UnavailableError
from placement.service.models import (
    AreaRow,
    AuditEvent,
    ChildRow,
    IdempotencyRecord,
    PlacementRow,
    PolicyRow,
    PoolRow,
    RunRow,
    ScenarioRunRow,
    SettingRow,
    User,
)
from placement.service.security import ROLES, Principal, hash_password

__all__ = [
    "aggregates",
    "create_policy",
    "create_user",
    "decide",
    "planner_metrics",
    "propose_placement",
    "record_setting_response",
    "set_requests",
    "start_consultation",
    "start_run",
    "start_scenario",
    "store_area",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _audit(s: Session, who: Principal, action: str, kind: str, oid: str, **details: Any) -> None:
    audit.append(
        s,
        actor=who.username,
        role=who.role,
        action=action,
        object_type=kind,
        object_id=oid,
        la_code=who.la_code,
        details=details,
    )


SYSTEM = Principal(0, "system", "planner", "", None, None)


# -- users ------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    la_code: str,
    area_id: int | None = None,
    child_id: str | None = None,
) -> User:
    """Create a user (the CLI's ``placement users create``); families name their child."""
    if role not in ROLES:
        raise InvalidError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    if len(password) < 12:
        raise InvalidError("passwords need at least 12 characters")
    begin_write(session)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise ConflictError(f"user {username!r} exists")
    if role == "family":
        if area_id is None or child_id is None:
            raise InvalidError("a family user needs --area and --child")
        area = session.get(AreaRow, area_id)
        if area is None:
            raise NotFoundError(f"area {area_id} not found")
        la_code = area.la_code
        if (
            session.exec(
                select(ChildRow.id).where(
                    ChildRow.area_id == area_id, ChildRow.child_id == child_id
                )
            ).first()
            is None
        ):
            raise NotFoundError(f"child {child_id} not found in area {area_id}")
    else:
        area_id = child_id = None
        la_code = accounts.la_code(la_code)  # one of the 153 LAs, as its three-digit code
    u = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        la_code=la_code,
        area_id=area_id,
        child_id=child_id,
    )
    session.add(u)
    session.flush()
    audit.append(
        session,
        actor="cli",
        role="admin",
        action="user.create",
        object_type="user",
        object_id=username,
        la_code=la_code,
        details={"role": role, "area_id": area_id, "child_id": child_id},
    )
    session.commit()
    return u


# -- areas ------------------------------------------------------------------------------------


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
    aid = row.id
    srows = [
        SettingRow(
            area_id=aid,
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
        PoolRow(
            setting_row_id=by_id[s.setting_id] or 0,
            need=n.value,
            places=p.places,
            roll=p.roll,
        )
        for s in area.settings
        for n, p in s.pools.items()
    )
    session.bulk_insert_mappings(
        ChildRow,
        [
            {
                "area_id": aid,
                "child_id": c.child_id,
                "primary_need": c.primary_need.value,
                "nc_year": c.nc_year,
                "data": json.dumps(child_to_dict(c), sort_keys=True),
            }
            for c in area.children
        ],
    )
    _audit(
        session,
        who,
        "area.create",
        "area",
        str(aid),
        source=source,
        children=len(area.children),
        settings=len(area.settings),
    )
    session.commit()
    return row


def import_area(import_root: Path, path: str) -> tuple[Area, dict[str, Any]]:
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
        if confirmed is None:
            status = "being_considered"
        elif confirmed.setting_id == sid:
            status = "named"
        elif sid in assessed:
            status = "refused"
        else:
            status = "after_decision"
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
        # saved since the latest run started: the run's assessment is of the requests before
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
        view["changed_since_run"] = saved is not None and (
            run is None or _utc(dt.datetime.fromisoformat(saved)) > _utc(run.created_at)
        )
        view["run_assessment"] = listed.get("requests", [])
    if confirmed is not None and any(x["status"] == "after_decision" for x in out):
        view["next_steps"] = NEXT_STEPS_AFTER_DECISION
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
    area = session.get(AreaRow, child.area_id)
    assert row is not None
    assert area is not None
    d: dict[str, Any] = json.loads(row.data)
    before = d.get("preferences", [])
    d["preferences"] = list(setting_ids)
    try:
        child_from_dict(d)
    except DomainError as e:
        raise InvalidError(str(e)) from None
    row.data = json.dumps(d, sort_keys=True)
    session.add(row)
    _audit(
        session,
        who,
        "child.requests",
        "child",
        f"{child.area_id}/{child.child_id}",
        before=before,
        after=list(setting_ids),
    )
    session.commit()
    if _confirmed(session, child.area_id, child.child_id) is not None:
        d["next_steps"] = NEXT_STEPS_AFTER_DECISION
    return d


def area_settings(session: Session, *, area_id: int) -> list[dict[str, str]]:
    """Every setting of an area a family may ask for, by name: its id, name, kind and the
    kind in a family's words (published facts only: no capacity, roll or cost)."""
    from placement.wording import describe_kind

    rows = session.exec(
        select(SettingRow.setting_id, SettingRow.name, SettingRow.kind)
        .where(SettingRow.area_id == area_id)
        .order_by(col(SettingRow.name), col(SettingRow.setting_id))
    ).all()
    return [
        {"setting_id": sid, "name": name, "kind": kind, "kind_words": describe_kind(kind)}
        for sid, name, kind in rows
    ]


# -- policies ---------------------------------------------------------------------------------


def create_policy(
    session: Session, who: Principal, *, overrides: dict[str, Any], note: str
) -> PolicyRow:
    """A new policy version for the caller's LA, validated by the core before it is stored."""
    try:
        policy = load_policy(overrides)
    except PolicyError as e:
        raise InvalidError(f"policy: {e}") from None
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        raise InvalidError(f"policy: not understood ({type(e).__name__}: {e})") from None
    begin_write(session)
    last = session.exec(
        select(func.max(PolicyRow.version)).where(PolicyRow.la_code == who.la_code)
    ).one()
    row = PolicyRow(
        la_code=who.la_code,
        version=int(last or 0) + 1,
        overrides=json.dumps(overrides, sort_keys=True),
        digest=policy.digest,
        note=note,
        created_by=who.username,
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        who,
        "policy.create",
        "policy",
        str(row.id),
        version=row.version,
        digest=policy.digest,
    )
    session.commit()
    return row


# -- runs -------------------------------------------------------------------------------------


def _policy_id(session: Session, who: Principal, policy_id: int | None) -> int | None:
    """The named policy of the caller's LA (404 if not theirs), else the LA's latest."""
    if policy_id is not None:
        pol = session.get(PolicyRow, policy_id)
        if pol is None or pol.la_code != who.la_code:
            raise NotFoundError(f"policy {policy_id} not found")
        return policy_id
    latest: int | None = session.exec(
        select(PolicyRow.id)
        .where(PolicyRow.la_code == who.la_code)
        .order_by(col(PolicyRow.version).desc())
        .limit(1)
    ).first()
    return latest


def _check_queue(session: Session, max_queued: int, jobs: Jobs) -> None:
    """503 when ``max_queued`` jobs (allocation and scenario runs) are queued or running: in
    the database (every process), or in this process's pool (which also counts a job past its
    time bound whose thread is still computing)."""
    stored = sum(
        session.exec(
            select(func.count())
            .select_from(model)
            .where(col(model.status).in_(("queued", "running")))
        ).one()
        for model in (RunRow, ScenarioRunRow)
    )
    busy = max(stored, jobs.in_flight())
    if busy >= max_queued:
        raise UnavailableError(f"{busy} runs are queued or running; try again later", slug="busy")


def start_run(
    session: Session,
    who: Principal,
    *,
    area: AreaRow,
    jobs: Jobs,
    mechanism: str,
    seed: int,
    policy_id: int | None,
    time_limit_s: int,
    max_queued: int,
    scope: str = "moving",
) -> RunRow:
    begin_write(session)
    policy_id = _policy_id(session, who, policy_id)
    _check_queue(session, max_queued, jobs)
    assert area.id is not None
    run = RunRow(
        area_id=area.id,
        area_revision=area.revision,
        policy_id=policy_id,
        mechanism=mechanism,
        scope=scope,
        seed=seed,
        time_limit_s=time_limit_s,
        status="queued",
        created_by=who.username,
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    _audit(
        session,
        who,
        "run.start",
        "run",
        str(run.id),
        area_id=area.id,
        mechanism=mechanism,
        scope=scope,
        seed=seed,
        policy_id=policy_id,
    )
    jobs.enqueue(session, "run", run.id, time_limit_s)
    session.commit()
    jobs.submit(run.id, time_limit_s)
    return run


def _check_named_settings(session: Session, area_id: int, scenario: Scenario) -> None:
    """Settings a scenario names by id must be in the area (new ones must not be): checked
    before the job is queued, so a typo is a 422 naming the line, not a failed job."""
    from placement.scenarios.spec import AddPlaces, CloseSetting, OpenSetting, Redesignate

    table = {
        AddPlaces: "add_places",
        OpenSetting: "open_setting",
        CloseSetting: "close_setting",
        Redesignate: "redesignate",
    }
    named = {sid for c in scenario.changes if (sid := getattr(c, "setting_id", None)) is not None}
    known = set(
        session.exec(
            select(SettingRow.setting_id).where(
                SettingRow.area_id == area_id, col(SettingRow.setting_id).in_(named)
            )
        ).all()
    )
    for c in scenario.changes:
        sid = getattr(c, "setting_id", None)
        if sid is None:
            continue
        what = table[type(c)]
        if isinstance(c, OpenSetting) and sid in known:
            raise InvalidError(
                f"scenario.toml:{c.line}: {what}: setting {sid!r} is already in this area"
            )
        if not isinstance(c, OpenSetting) and sid not in known:
            raise InvalidError(f"scenario.toml:{c.line}: {what}: unknown setting {sid!r}")


def start_scenario(
    session: Session,
    who: Principal,
    *,
    area: AreaRow,
    jobs: Jobs,
    text: str,
    policy_id: int | None,
    marginal: int | None,
    time_limit_s: int,
    max_queued: int,
    max_marginal: int,
) -> ScenarioRunRow:
    """Validate a scenario's TOML against the stored area and queue it as a job."""
    try:
        scenario = service_scenario(text)
    except InputError as e:
        raise InvalidError(str(e), slug="bad-scenario") from None
    assert area.id is not None
    n = scenario.marginal if marginal is None else marginal
    if n > max_marginal:
        raise InvalidError(
            f"marginal: {n} candidates to re-solve; this service allows at most {max_marginal}"
        )
    begin_write(session)
    _check_named_settings(session, area.id, scenario)
    policy_id = _policy_id(session, who, policy_id)
    _check_queue(session, max_queued, jobs)
    job = ScenarioRunRow(
        area_id=area.id,
        area_revision=area.revision,
        policy_id=policy_id,
        name=scenario.name[:200],
        scenario=text,
        seed=scenario.base.seed,
        marginal=n,
        time_limit_s=time_limit_s,
        status="queued",
        created_by=who.username,
    )
    session.add(job)
    session.flush()
    assert job.id is not None
    _audit(
        session,
        who,
        "scenario.start",
        "scenario",
        str(job.id),
        area_id=area.id,
        name=job.name,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        policy_id=policy_id,
    )
    jobs.enqueue(session, "scenario", job.id, time_limit_s)
    session.commit()
    jobs.submit_scenario(job.id, time_limit_s)
    return job


# -- placements -------------------------------------------------------------------------------


def propose_placement(
    session: Session,
    who: Principal,
    *,
    area: AreaRow,
    child: ChildRow,
    setting_id: str,
    note: str,
    cache: CoreCache,
) -> PlacementRow:
    begin_write(session)
    srow = session.exec(
        select(SettingRow).where(
            SettingRow.area_id == child.area_id, SettingRow.setting_id == setting_id
        )
    ).first()
    if srow is None:
        raise InvalidError(f"setting {setting_id!r} is not in this area")
    confirmed = session.exec(
        select(PlacementRow.id).where(
            PlacementRow.area_id == child.area_id,
            PlacementRow.child_id == child.child_id,
            PlacementRow.status == "confirmed",
        )
    ).first()
    if confirmed is not None:
        raise ConflictError(
            f"the child already has a confirmed placement ({confirmed})", slug="already-placed"
        )
    c = child_from_dict(json.loads(child.data))
    run = cache.latest_run(session, child.area_id)
    policy_id = run.policy_id if run else cache.latest_policy_id(session, area.la_code)
    policy = policy_for(session, area, policy_id)
    year = (
        c.nc_year
        if c.nc_year is not None
        else nc_year_from_birth(c.date_of_birth or dt.date(2000, 1, 1), policy.academic_year_start)
    )
    pool_need = (
        c.primary_need.value
        if c.primary_need.value in json.loads(srow.data).get("pools", {})
        else None
    )
    row = PlacementRow(
        area_id=child.area_id,
        child_id=child.child_id,
        setting_id=setting_id,
        pool_need=pool_need,
        status="proposed",
        run_id=run.id if run else None,
        note=note,
        proposed_by=who.username,
        phase_transfer_deadline=statutory.phase_transfer_deadline(year, policy.academic_year_start),
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        who,
        "placement.propose",
        "placement",
        str(row.id),
        child=f"{child.area_id}/{child.child_id}",
        setting_id=setting_id,
        phase=phase_of_year(year).label,
    )
    session.commit()
    return row


def worklist_facts(
    session: Session, *, area: AreaRow, cache: CoreCache
) -> tuple[list[WorklistBase], dict[str, dict[str, Any]]]:
    """The worklist's facts: per child, in child-id order, what follows from the problem and
    the latest run (cached with the problem); and, per child with a placement, its latest
    placement's status, an overdue consultation and the placement's phase-transfer deadline."""
    assert area.id is not None
    base = cache.get(session, area).worklist()
    out: dict[str, dict[str, Any]] = {}
    today = _now().date()
    for child_id, status, deadline, response, due in session.execute(
        sa_select(
            col(PlacementRow.child_id),
            col(PlacementRow.status),
            col(PlacementRow.phase_transfer_deadline),
            col(PlacementRow.setting_response),
            col(PlacementRow.consultation_due),
        )
        .where(col(PlacementRow.area_id) == area.id)
        .order_by(col(PlacementRow.id))
    ).all():
        f = out.setdefault(child_id, {})
        if status != "withdrawn" or "status" not in f:
            f["status"] = status  # the latest, withdrawals aside
        if deadline is not None:
            f["deadline"] = deadline
        if status == "consulted" and response is None and due is not None and today > due:
            f["overdue"] = True
    return base, out


def eligibility_failures(
    p: Problem, child_id: str, setting_id: str
) -> tuple[list[str], dict[str, str]]:
    """The engine's eligibility rules the setting fails for the child (codes, and each with
    its evidence in officer words)."""
    from placement.rules import why_unsuitable
    from placement.wording import render

    i, s = p.child_index.get(child_id), p.setting_index.get(setting_id)
    if i is None or s is None:
        return [], {}
    reasons = why_unsuitable(p, i, s)
    names = {p.settings[s].setting_id: p.settings[s].name}
    return [r.code.value for r in reasons], {
        r.code.value: render(r, "officer", names) for r in reasons
    }


def _locked_placement(session: Session, placement_id: int) -> PlacementRow:
    row = session.get(PlacementRow, placement_id, populate_existing=True)
    if row is None:  # pragma: no cover - checked before the lock
        raise NotFoundError(f"placement {placement_id} not found")
    return row


def start_consultation(session: Session, who: Principal, *, placement_id: int) -> PlacementRow:
    """Consult the setting (s.39(2)): it has 15 days to reply."""
    begin_write(session)
    row = _locked_placement(session, placement_id)
    if row.status != "proposed":
        raise ConflictError(f"the placement is {row.status}, not proposed", slug="wrong-state")
    now = _now()
    row.status = "consulted"
    row.consultation_started_at = now
    row.consultation_due = statutory.consultation_due(now.date())
    session.add(row)
    _audit(
        session,
        who,
        "placement.consult",
        "placement",
        str(row.id),
        due=row.consultation_due.isoformat(),
    )
    session.commit()
    return row


def record_setting_response(
    session: Session, who: Principal, *, placement_id: int, response: str, note: str
) -> PlacementRow:
    """The setting's reply to consultation: evidence for the decision, not a veto."""
    begin_write(session)
    row = _locked_placement(session, placement_id)
    if row.status != "consulted":
        raise ConflictError(
            f"the placement is {row.status}, not being consulted on", slug="wrong-state"
        )
    row.setting_response, row.setting_response_note = response, note
    row.setting_responded_at = _now()
    session.add(row)
    _audit(session, who, "placement.setting_response", "placement", str(row.id), response=response)
    session.commit()
    return row


def request_hash(method: str, path: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical([method, path, body]).encode()).hexdigest()


def decide(
    session: Session,
    who: Principal,
    *,
    placement_id: int,
    outcome: str,
    reason: str,
    idempotency_key: str | None,
    req_hash: str,
    cache: CoreCache,
    render: Any,
    overrides: list[str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Confirm or decline a consulted placement. Returns (status code, body).

    Under the write lock: replay an idempotent request; check the state. A decline needs a
    reason. A confirmation is checked against the child with the engine's own eligibility
    rules (:func:`placement.rules.why_unsuitable`): a setting that fails any rule needs each
    failed rule named in ``overrides`` and a reason, and the overridden rules are kept on the
    placement and in the audit trail. Anything but the recommended option needs a reason (UK
    GDPR Art. 22: a person decides, and says why). Confirming takes a place with conditional
    UPDATEs on the setting's and the pool's counters (never past capacity, 409 if none is
    left), and withdraws the child's other open proposals.
    """
    overrides = list(overrides or [])
    begin_write(session)
    if idempotency_key is not None:
        seen = session.get(IdempotencyRecord, (who.user_id, idempotency_key))
        if seen is not None:
            if seen.request_hash != req_hash:
                raise InvalidError(
                    "this Idempotency-Key was used with another request", slug="idempotency-key"
                )
            session.rollback()
            return seen.status_code, json.loads(seen.response)
    row = _locked_placement(session, placement_id)
    if row.status != "consulted":
        raise ConflictError(
            f"the placement is {row.status}: only a placement whose setting has been consulted "
            "can be decided",
            slug="wrong-state",
        )
    area = session.get(AreaRow, row.area_id)
    assert area is not None
    if outcome == "declined" and not reason:
        raise InvalidError("a decline needs a reason", slug="reason-required")
    if outcome == "declined" and overrides:
        raise InvalidError("overrides apply only to a confirmation", slug="override")
    failed: list[str] = []
    if outcome == "confirmed":
        computed = cache.get(session, area)
        tl = computed.tailored(row.child_id)
        ranked = [o.setting_id for o in tl.options]
        row.top_setting_id = ranked[0] if ranked else None
        row.list_rank = ranked.index(row.setting_id) + 1 if row.setting_id in ranked else None
        row.recommended_setting_id = tl.recommended_setting_id
        failed, texts = eligibility_failures(computed.problem, row.child_id, row.setting_id)
        missing = [c for c in failed if c not in overrides]
        extra = [c for c in overrides if c not in failed]
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
        if failed and not reason:
            raise InvalidError(
                "a confirmation that overrides the rules needs a reason", slug="reason-required"
            )
        if row.setting_id != row.recommended_setting_id and not reason:
            raise InvalidError(
                f"{row.setting_id} is not the recommended option "
                f"({row.recommended_setting_id or 'none'}): give a reason",
                slug="reason-required",
            )
        already = session.exec(
            select(PlacementRow.id).where(
                PlacementRow.area_id == row.area_id,
                PlacementRow.child_id == row.child_id,
                PlacementRow.status == "confirmed",
            )
        ).first()
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
        if row.pool_need is not None:
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
    row.status = outcome
    row.decided_by, row.decided_at, row.decision_reason = who.username, _now(), reason
    row.override_rules = ",".join(failed) or None
    session.add(row)
    session.flush()
    _audit(
        session,
        who,
        f"placement.{outcome}",
        "placement",
        str(row.id),
        child=f"{row.area_id}/{row.child_id}",
        setting_id=row.setting_id,
        reason=reason,
        list_rank=row.list_rank,
        top_setting_id=row.top_setting_id,
        recommended_setting_id=row.recommended_setting_id,
        overrides=failed,
        idempotency_key=idempotency_key,
    )
    if outcome == "confirmed":  # the child's other open proposals are closed
        for other in session.exec(
            select(PlacementRow).where(
                PlacementRow.area_id == row.area_id,
                PlacementRow.child_id == row.child_id,
                col(PlacementRow.status).in_(("proposed", "consulted")),
                col(PlacementRow.id) != row.id,
            )
        ).all():
            other.status = "withdrawn"
            other.decided_by, other.decided_at = who.username, _now()
            other.decision_reason = f"placement {row.id} at {row.setting_id} was confirmed"
            session.add(other)
            _audit(
                session,
                who,
                "placement.withdrawn",
                "placement",
                str(other.id),
                child=f"{row.area_id}/{row.child_id}",
                setting_id=other.setting_id,
                because=row.id,
            )
    body: dict[str, Any] = render(row)
    if idempotency_key is not None:
        session.add(
            IdempotencyRecord(
                user_id=who.user_id,
                key=idempotency_key,
                request_hash=req_hash,
                status_code=201,
                response=json.dumps(body, default=str),
            )
        )
    session.commit()
    return 201, body


# -- aggregates -------------------------------------------------------------------------------


def _counts(counts: Counter[str] | dict[str, int]) -> dict[str, int | str]:
    """Counts of children as planners may see them (:mod:`placement.disclosure`)."""
    return {k: disclosure.count(v) for k, v in sorted(counts.items())}


# a failed run's error can name a child ("C01 at S1: fails ..."): planners see that it failed
PLANNER_RUN_ERROR = "the run failed; a placement officer can see why"


def planner_details(details: dict[str, Any]) -> dict[str, Any]:
    """An audit event's details as planners may see them: the count of children in an area
    disclosure-controlled, a failed run's error replaced (it can name a child)."""
    out = dict(details)
    if isinstance(out.get("children"), int):
        out["children"] = disclosure.count(out["children"])
    if out.get("error") is not None:
        out["error"] = PLANNER_RUN_ERROR
    return out


def planner_metrics(m: dict[str, Any]) -> dict[str, Any]:
    """A run's metrics (:class:`placement.result.Metrics` as stored) as planners may see them:
    counts of 1-9 children as "<10", other counts rounded to 5, percentages from the rounded
    counts (withheld when their counts are not stored, as in runs made before they were)."""
    out = export_metrics({k: v for k, v in m.items() if not isinstance(v, dict)})
    for k in ("unmet_by_need", "unmet_by_phase"):
        out[k] = _counts(m.get(k, {}))
    placed = int(m.get("placed", 1))
    out["cost_by_payer_gbp"] = {
        k: disclosure.money(v, placed) for k, v in m.get("cost_by_payer_gbp", {}).items()
    }
    return out


def aggregates(session: Session, *, area: AreaRow, cache: CoreCache) -> dict[str, Any]:
    """Planner figures: no child-level fields, counts under 10 suppressed."""
    assert area.id is not None
    by_need: Counter[str] = Counter()
    by_phase: Counter[str] = Counter()
    for need, year in session.exec(
        select(ChildRow.primary_need, ChildRow.nc_year).where(ChildRow.area_id == area.id)
    ).all():
        by_need[need] += 1
        by_phase[phase_of_year(year).label if year is not None else "unknown"] += 1
    places: dict[str, dict[str, int]] = {}
    room: Counter[str] = Counter()  # capacity less roll: free + confirmed never exceed it
    for kind, cap, roll, conf in session.exec(
        select(SettingRow.kind, SettingRow.capacity, SettingRow.roll, SettingRow.confirmed).where(
            SettingRow.area_id == area.id
        )
    ).all():
        d = places.setdefault(kind, {"settings": 0, "capacity": 0, "free": 0, "confirmed": 0})
        d["settings"] += 1
        d["capacity"] += cap
        d["free"] += max(0, cap - roll - conf)
        d["confirmed"] += conf
        room[kind] += max(0, cap - roll)
    status: Counter[str] = Counter(
        session.exec(select(PlacementRow.status).where(PlacementRow.area_id == area.id)).all()
    )
    overridden = session.exec(
        select(func.count()).where(
            PlacementRow.area_id == area.id,
            PlacementRow.status == "confirmed",
            col(PlacementRow.override_rules).is_not(None),
        )
    ).one()
    run = cache.latest_run(session, area.id)
    run_part: dict[str, Any] | None = None
    if run is not None and run.metrics:
        m = planner_metrics(json.loads(run.metrics))
        run_part = {
            "run_id": run.id,
            "mechanism": run.mechanism,
            **{
                k: m.get(k, disclosure.WITHHELD)
                for k in (
                    "children",
                    "placed",
                    "placed_pct",
                    "first_preference_pct",
                    "request_honoured_pct",
                    "mean_journey_min",
                    "total_cost_gbp",
                )
            },
            "unplaced_by_need": m["unmet_by_need"],
            "unplaced_by_phase": m["unmet_by_phase"],
        }
    return {
        "area_id": area.id,
        "disclosure": DISCLOSURE_NOTE,
        "children_by_need": _counts(by_need),
        "children_by_phase": _counts(by_phase),
        # capacity is published; free places are capacity - roll - confirmed, and the roll
        # is published too, so an exact free count would give the confirmed count away
        # (rounded, never above the capacity less the roll: 59 free of 59 is not "60")
        "places_by_kind": {
            k: {
                f: (disclosure.count_within(v, room[k]) if f in ("confirmed", "free") else v)
                for f, v in d.items()
            }
            for k, d in sorted(places.items())
        },
        "placements_by_status": _counts(status),
        # confirmations an officer made against a failed eligibility rule (named, with reasons)
        "confirmed_with_overrides": disclosure.count(int(overridden)),
        "latest_run": run_part,
        "needs": [n.value for n in Need],
    }
