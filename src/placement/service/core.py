"""The bridge to the engine: areas rebuilt from the database, allocation runs as jobs, and an
in-memory cache of the built problem and area run per (area revision, run, policy) so that a
tailored list is a dictionary lookup after the first request (keyed on the database on every
request, so safe with several processes: :class:`CoreCache`).

Nothing here decides anything the core does not: lists, reasons and allocations come from
:mod:`placement.tailored`, :mod:`placement.wording` and :mod:`placement.solve`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from placement.area import Area, TravelTime
from placement.cohort import Scope
from placement.files.policy_files import load_policy
from placement.policy import Policy, deep_merge
from placement.problem import Problem, build_problem
from placement.register import LaProfile, UnknownAreaError, resolve_la
from placement.result import Allocation, finalise
from placement.scenarios.dashboard import dashboard_data
from placement.scenarios.run import side_of
from placement.scenarios.spec import Scenario
from placement.service import audit, statutory
from placement.service.codec import child_from_dict, setting_from_dict
from placement.service.db import write_session
from placement.service.models import (
    AreaRow,
    ChildRow,
    PlacementRow,
    PolicyRow,
    PoolRow,
    RunRow,
    ScenarioRunRow,
    SettingRow,
)
from placement.solve import Mechanism, allocate
from placement.solve.priority import count_justified_envy, priority_keys
from placement.tailored import AreaRun, ScoreTable, TailoredList, area_run, score_table
from placement.tailored import tailored_list as core_tailored_list
from placement.wording import AUDIENCES, Audience, list_as_dict

__all__ = [
    "JOB_MODELS",
    "LIGHT_RUN",
    "QUEUE_TASK",
    "Computed",
    "CoreCache",
    "JobKind",
    "JobRunner",
    "Jobs",
    "RunJobs",
    "area_from_db",
    "policy_for",
    "policy_overrides",
    "service_scenario",
]

log = logging.getLogger("placement.service")
# the result column holds a whole allocation (megabytes for a large LA): load it only when used
LIGHT_RUN = (
    defer(RunRow.result),  # type: ignore[arg-type]
    defer(RunRow.manifest),  # type: ignore[arg-type]
    defer(RunRow.metrics),  # type: ignore[arg-type]
    defer(RunRow.dashboard),  # type: ignore[arg-type]
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def area_from_db(session: Session, area: AreaRow, *, for_run: bool = False) -> Area:
    """The stored area as a core :class:`Area`. ``for_run``: children whose placement is
    confirmed are left out and their places count as taken (added to the rolls)."""
    assert area.id is not None
    settings_rows = session.exec(
        select(SettingRow).where(SettingRow.area_id == area.id).order_by(col(SettingRow.id))
    ).all()
    pools: dict[int, dict[str, int]] = {}
    if for_run:
        ids = [s.id for s in settings_rows]
        for p in session.exec(
            select(PoolRow).where(col(PoolRow.setting_row_id).in_(ids), PoolRow.confirmed > 0)
        ).all():
            pools.setdefault(p.setting_row_id, {})[p.need] = p.confirmed
    settings = tuple(
        setting_from_dict(
            json.loads(s.data),
            extra_roll=s.confirmed if for_run else 0,
            extra_pool_roll=pools.get(s.id or 0),
        )
        for s in settings_rows
    )
    placed: set[str] = set()
    if for_run:
        placed = set(
            session.exec(
                select(PlacementRow.child_id).where(
                    PlacementRow.area_id == area.id, PlacementRow.status == "confirmed"
                )
            ).all()
        )
    children = tuple(
        child_from_dict(json.loads(d))
        for cid, d in session.exec(
            select(ChildRow.child_id, ChildRow.data)
            .where(ChildRow.area_id == area.id)
            .order_by(col(ChildRow.id))
        ).all()
        if cid not in placed
    )
    keep = {c.child_id for c in children}
    travel = tuple(TravelTime(t[0], t[1], t[2]) for t in json.loads(area.travel) if t[0] in keep)
    return Area(area.name, children, settings, travel, la_code=area.la_code)


def policy_overrides(session: Session, area: AreaRow, policy_id: int | None) -> dict[str, Any]:
    """The area's own overrides, then the LA's versioned policy's, merged."""
    overrides: dict[str, Any] = json.loads(area.policy_overrides)
    if policy_id is not None:
        row = session.get(PolicyRow, policy_id)
        if row is not None:
            overrides = deep_merge(overrides, json.loads(row.overrides))
    return overrides


def policy_for(session: Session, area: AreaRow, policy_id: int | None) -> Policy:
    """The default policy, the area's own overrides, then the LA's versioned policy."""
    return load_policy(policy_overrides(session, area, policy_id))


@dataclass(frozen=True, slots=True)
class WorklistBase:
    """A child's worklist facts from the problem and the area's latest run."""

    child_id: str
    nc_year: int | None
    primary_need: str
    movement: str
    deadline: dt.date | None
    run_outcome: Literal["placed", "unplaced", "staying"] | None
    planned_setting_id: str | None


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """At most ``size`` entries, the least recently used dropped first (not thread-safe:
    the caller holds its lock)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        hit = self.items.get(key)
        if hit is not None:
            self.items.move_to_end(key)
        return hit

    def put(self, key: K, value: V) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


@dataclass(eq=False)
class Computed:
    """A built problem, its area run (if any) and the score table, with serialised lists."""

    problem: Problem
    run: AreaRun | None
    table: ScoreTable
    run_id: int | None
    # serialised lists by (child, audience); and the last lists built (frozen; about
    # 0.2 MiB each at Kent size): a confirmation's check of the list an officer has just
    # read reuses it instead of building it again
    _lists: _Lru[tuple[str, str], bytes] = field(default_factory=lambda: _Lru(20_000))
    _tailored: _Lru[str, TailoredList] = field(default_factory=lambda: _Lru(64))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _state: Any = None  # the optimised solver state for what-ifs (built on first use)
    _state_lock: threading.Lock = field(default_factory=threading.Lock)
    _worklist: list[WorklistBase] | None = None  # the worklist's per-child facts (first use)

    def flow_state(self) -> Any:
        """The optimised mechanism's solver state on this problem (what-ifs re-solve it)."""
        with self._state_lock:
            if self._state is None:
                from placement.solve.optimised import run_optimised

                self._state = run_optimised(self.problem)
            return self._state

    def worklist(self) -> list[WorklistBase]:
        """Each child's facts that follow from the problem and its run (who moves, the
        phase-transfer deadline, the run's outcome and planned setting), in child-id order:
        computed once per entry, so a worklist page costs a filter, not a pass over the area."""
        with self._state_lock:
            if self._worklist is None:
                p = self.problem
                ay = p.policy.academic_year_start
                rows: list[WorklistBase] = []
                for i, c in enumerate(p.children):
                    outcome: Literal["placed", "unplaced", "staying"] | None = None
                    planned: str | None = None
                    if not p.c_moving[i]:
                        outcome, planned = "staying", c.current_setting_id
                    elif self.run is not None:
                        k = int(self.run.assign[i])
                        outcome = "placed" if k >= 0 else "unplaced"
                        if k >= 0:
                            planned = p.settings[int(p.pairs.setting[k])].setting_id
                    rows.append(
                        WorklistBase(
                            child_id=c.child_id,
                            nc_year=c.nc_year,
                            primary_need=c.primary_need.value,
                            movement=p.movement(i).value,
                            deadline=statutory.phase_transfer_deadline(int(p.c_year[i]), ay),
                            run_outcome=outcome,
                            planned_setting_id=planned,
                        )
                    )
                rows.sort(key=lambda r: r.child_id)
                self._worklist = rows
            return self._worklist

    def nbytes(self) -> int:
        """About how much memory the arrays of this entry hold (the cache's budget)."""
        total = 0
        for obj in (self.problem, self.problem.pairs, self.table):
            for name in getattr(obj, "__slots__", ()) or vars(obj):
                v = getattr(obj, name, None)
                if isinstance(v, np.ndarray):
                    total += int(v.nbytes)
        for v in self.table.components.values():
            total += int(v.nbytes)
        return total + sum(len(b) for b in self._lists.items.values())

    def tailored(self, child_id: str) -> TailoredList:
        with self._lock:
            hit = self._tailored.get(child_id)
        if hit is None:
            hit = core_tailored_list(self.problem, child_id, run=self.run, table=self.table)
            with self._lock:
                self._tailored.put(child_id, hit)
        return hit

    def list_json(self, child_id: str, audience: Audience) -> bytes:
        """The child's list in ``audience``'s wording, serialised. A list not built yet is
        built once and serialised in both wordings (the wording is a small part of the cost:
        Kent, about 7 ms of 110), so the officer's and the family's reads share one build."""
        key = (child_id, audience)
        with self._lock:
            hit = self._lists.get(key)
        if hit is not None:
            return hit
        tl = self.tailored(child_id)
        built: dict[tuple[str, str], bytes] = {}
        for aud in AUDIENCES:
            d = list_as_dict(tl, aud)
            d["run_id"] = self.run_id
            built[(child_id, aud)] = json.dumps(
                d, separators=(",", ":"), ensure_ascii=False
            ).encode()
        with self._lock:
            for k, body in built.items():
                self._lists.put(k, body)
        return built[key]


def allocation_from_result(p: Problem, result: Mapping[str, Any]) -> Allocation:
    """Rebuild a stored run's Allocation against ``p`` from its child -> setting mapping."""
    assign = np.full(p.num_children, -1, np.int64)
    for row in result.get("placements", ()):
        i = p.child_index.get(row["child_id"])
        s = p.setting_index.get(row["setting_id"])
        if i is not None and s is not None:
            assign[i] = p.pair_index(i, s)
    manifest = result.get("manifest", {})
    seed = manifest.get("seed")
    keys = priority_keys(p, seed or 0)
    return finalise(
        p,
        str(result.get("mechanism", "optimised")),
        assign,
        parameters=manifest.get("parameters", {}),
        seed=seed,
        justified_envy=count_justified_envy(p, assign, keys),
    )


class CoreCache:
    """Built problems keyed by (area, revision, run, policy); least recently used evicted.

    Each process has its own, and each is safe beside the others (``placement serve
    --workers N``): the key is read from the database on every request (the area's revision,
    its latest successful run and the policy that run used, or the LA's latest policy), so a
    run finished or a policy published through any process is what the next request in every
    process is served. What an entry holds changes with nothing else: a confirmation, a
    decline or a family's saved requests change no key and no entry, and everything they do
    change (a request's status, a placement's, the worklist's statuses) is read from the
    database per request, never kept here.
    """

    def __init__(self, engine: Engine, entries: int, max_bytes: int = 1 << 30) -> None:
        self.engine = engine
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[int, int, int, int], Computed] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[int, int, int, int], threading.Lock] = {}

    def latest_run(self, session: Session, area_id: int) -> RunRow | None:
        return session.exec(
            select(RunRow)
            .options(*LIGHT_RUN)
            .where(
                RunRow.area_id == area_id,
                RunRow.status == "succeeded",
                RunRow.scope == "moving",  # a from-scratch study never feeds lists
            )
            .order_by(col(RunRow.id).desc())
            .limit(1)
        ).first()

    def latest_policy_id(self, session: Session, la_code: str) -> int | None:
        return session.exec(
            select(PolicyRow.id)
            .where(PolicyRow.la_code == la_code)
            .order_by(col(PolicyRow.version).desc())
            .limit(1)
        ).first()

    def get(self, session: Session, area: AreaRow) -> Computed:
        """The computed lists for the area's current revision and latest successful run."""
        assert area.id is not None
        run = self.latest_run(session, area.id)
        policy_id = (
            run.policy_id if run is not None else self.latest_policy_id(session, area.la_code)
        )
        key = (area.id, area.revision, run.id or 0 if run else 0, policy_id or 0)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
            gate = self._building.setdefault(key, threading.Lock())
        with gate:  # one builder per key; the others wait for it
            with self._lock:
                hit = self._items.get(key)
                if hit is not None:
                    return hit
            computed = self._build(session, area, run, policy_id)
            with self._lock:
                self._items[key] = computed
                self._building.pop(key, None)
                # bounded by entries and by memory: the least recently used go first (the
                # newest stays, whatever its size)
                while len(self._items) > 1 and (
                    len(self._items) > self.entries
                    or sum(c.nbytes() for c in self._items.values()) > self.max_bytes
                ):
                    self._items.popitem(last=False)
            return computed

    def _build(
        self, session: Session, area: AreaRow, run: RunRow | None, policy_id: int | None
    ) -> Computed:
        policy = policy_for(session, area, policy_id)
        p = build_problem(area_from_db(session, area), policy)
        ar: AreaRun | None = None
        if run is not None and run.result:
            ar = area_run(p, allocation_from_result(p, json.loads(run.result)))
        return Computed(p, ar, score_table(p, ar), run.id if run else None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


JobRow = RunRow | ScenarioRunRow
JobKind = Literal["run", "scenario"]
JOB_MODELS: dict[str, type[JobRow]] = {"run": RunRow, "scenario": ScenarioRunRow}
# the job queue's one task (placement.service.queue): its arguments say which kind and row
QUEUE_TASK = "placement.job"


class Jobs(Protocol):
    """Where the service's allocation and scenario jobs run: :class:`RunJobs` (a thread pool
    in this process, the single-process default) or
    :class:`placement.service.queue.QueueJobs` (a queue in the database that ``placement
    worker`` processes take from).

    A job is started in two steps: :meth:`enqueue` inside the transaction that stores its row
    (so a queued job and its row are committed together, or neither is), then :meth:`submit`
    after the commit (so a thread never reads a row that is not committed yet)."""

    def enqueue(self, session: Session, kind: JobKind, job_id: int, time_limit_s: int) -> None:
        """Put the job on the queue in ``session``'s transaction (the thread pool: nothing)."""

    def submit(self, run_id: int, time_limit_s: int) -> None:
        """After the commit: start allocation run ``run_id`` (the queue: nothing)."""

    def submit_scenario(self, scenario_run_id: int, time_limit_s: int) -> None:
        """After the commit: start scenario run ``scenario_run_id`` (the queue: nothing)."""

    def in_flight(self) -> int:
        """Jobs this process holds beyond what the database says (the thread pool's)."""

    def shutdown(self) -> None: ...


def _system_event(
    s: Any, kind: str, what: str, job_id: int, area: AreaRow | None, details: dict[str, Any]
) -> None:
    """The audit event of a job's change of state made by the system (not by a person)."""
    audit.append(
        s,
        actor="system",
        role="system",
        action=f"{kind}.{what}",
        object_type=kind,
        object_id=str(job_id),
        la_code=area.la_code if area else "",
        details=details,
    )


class JobRunner:
    """Runs one allocation or scenario job to its stored outcome, with a time bound: the
    same in the web process's thread pool and in ``placement worker``.

    The row goes ``queued`` -> ``running`` -> ``succeeded`` or ``failed``, each step under
    the write lock, with an audit event for the outcome. A thread cannot be killed: when a
    job passes its bound it is marked failed at once and whatever it finishes later is
    discarded (the final update is conditional on ``queued`` or ``running``).
    """

    def __init__(self, engine: Engine, validate: bool) -> None:
        self.engine = engine
        self.validate = validate
        self._timers: dict[tuple[str, int], threading.Timer] = {}

    def run(self, kind: JobKind, job_id: int, time_limit_s: int) -> None:
        """Run job ``job_id`` of ``kind`` if its row is still queued (else nothing)."""
        if kind == "run":
            self._job(RunRow, job_id, time_limit_s, self._allocate)
        else:
            self._job(ScenarioRunRow, job_id, time_limit_s, self._scenario)

    def cancel_timers(self) -> None:
        for t in list(self._timers.values()):
            t.cancel()

    def finish(self, model: type[JobRow], job_id: int, status: str, **fields: Any) -> bool:
        """Store the job's outcome, with its audit event, unless it has one already."""
        kind = "run" if model is RunRow else "scenario"
        with write_session(self.engine) as s:
            row = cast("JobRow | None", s.get(model, job_id))
            if row is None or row.status not in ("queued", "running"):
                return False
            area = s.get(AreaRow, row.area_id)
            row.status = status
            row.finished_at = _now()
            for k, v in fields.items():
                setattr(row, k, v)
            s.add(row)
            _system_event(
                s, kind, status, job_id, area,
                {"error": fields.get("error")} if status == "failed" else {},
            )  # fmt: skip
            return True

    def requeue(self, model: type[JobRow], job_id: int, *, reason: str) -> bool:
        """Put a job whose worker died back to ``queued`` (a ``run.requeued`` or
        ``scenario.requeued`` audit event if it had started), unless it has an outcome."""
        kind = "run" if model is RunRow else "scenario"
        with write_session(self.engine) as s:
            row = cast("JobRow | None", s.get(model, job_id))
            if row is None or row.status not in ("queued", "running"):
                return False
            if row.status == "queued":
                return True  # it never started: nothing to say
            area = s.get(AreaRow, row.area_id)
            row.status, row.started_at = "queued", None
            s.add(row)
            _system_event(s, kind, "requeued", job_id, area, {"reason": reason})
            return True

    def _job(
        self,
        model: type[JobRow],
        job_id: int,
        time_limit_s: int,
        work: Callable[[Any], dict[str, Any] | str],
    ) -> None:
        """Mark the job running, do ``work(row)`` (fields to store, or an error message),
        then store the outcome unless the time bound passed first."""
        key = (model.__tablename__, job_id)
        timer = threading.Timer(
            time_limit_s,
            self.finish,
            (model, job_id, "failed"),
            {"error": f"the solver passed its time limit of {time_limit_s} s"},
        )
        timer.daemon = True
        try:
            with write_session(self.engine) as s:
                row = cast("JobRow | None", s.get(model, job_id))
                if row is None or row.status != "queued":
                    return
                row.status, row.started_at = "running", _now()
                s.add(row)
            self._timers[key] = timer
            timer.start()
            out = work(row)
            if isinstance(out, str):
                self.finish(model, job_id, "failed", error=out[:2000])
            else:
                self.finish(model, job_id, "succeeded", **out)
        except Exception as e:  # the job fails; the service goes on
            log.exception("%s %s failed", model.__tablename__, job_id)
            self.finish(model, job_id, "failed", error=f"{type(e).__name__}: {e}"[:2000])
        finally:
            timer.cancel()
            self._timers.pop(key, None)

    def _read(self, job: JobRow) -> tuple[AreaRow, Area, dict[str, Any]] | str:
        """The job's area as an allocation run sees it (children with a confirmed placement
        left out, their places taken) and the policy overrides; or why it cannot run."""
        with Session(self.engine) as s:
            area = s.get(AreaRow, job.area_id)
            if area is None:
                return f"area {job.area_id} is gone"
            return (
                area,
                area_from_db(s, area, for_run=True),
                policy_overrides(s, area, job.policy_id),
            )

    def _allocate(self, run: RunRow) -> dict[str, Any] | str:
        read = self._read(run)
        if isinstance(read, str):
            return read
        area, a, overrides = read
        revision = area.revision  # the revision actually read (it may have moved on)
        policy = load_policy(overrides)
        mech: Mechanism = "optimised" if run.mechanism == "optimised" else "preference-first"
        scope: Scope = "from_scratch" if run.scope == "from_scratch" else "moving"
        p = build_problem(a, policy, scope=scope)
        alloc = allocate(p, mech, seed=run.seed)
        if self.validate:
            from placement.validate import validate_allocation

            report = validate_allocation(
                a,
                policy,
                alloc.mapping(),
                claimed_metrics=alloc.metrics.as_dict(),
                from_scratch=scope == "from_scratch",
            )
            if not report.ok:
                f = report.findings[0]
                return f"validation: {f.code}: {f.message}"
        d = alloc.as_dict()
        try:  # the dashboard is a view of the result: failing to make it must not lose it
            dashboard: str | None = json.dumps(
                dashboard_data(side_of(p, alloc), area_name=area.name, la=_la_of(area)),
                sort_keys=True,
            )
        except Exception:
            log.exception("run %s: the dashboard could not be made", run.id)
            dashboard = None
        return {
            "area_revision": revision,
            "manifest": json.dumps(d["manifest"], sort_keys=True),
            "metrics": json.dumps(d["metrics"], sort_keys=True),
            "result": json.dumps(d, separators=(",", ":")),
            "dashboard": dashboard,
        }

    def _scenario(self, job: ScenarioRunRow) -> dict[str, Any] | str:
        """The scenario on the stored area as an allocation run would see it (children with a
        confirmed placement keep it and their places count as taken), with the LA's policy."""
        from placement.files.errors import InputError
        from placement.scenarios.report import report_csvs, report_html, report_json
        from placement.scenarios.run import run_scenario

        read = self._read(job)
        if isinstance(read, str):
            return read
        area, a, overrides = read
        revision = area.revision  # the revision actually read (it may have moved on)
        profile = _la_of(area)
        la = profile.la_name if profile else None
        try:
            scenario = service_scenario(job.scenario)
            result = run_scenario(scenario, marginal=job.marginal, base=(a, overrides, la))
        except InputError as e:
            return str(e)
        data = json.loads(report_json(result))
        return {
            "area_revision": revision,
            "summary": json.dumps(
                {"changes": data["changes"], "metrics": data["metrics"]}, sort_keys=True
            ),
            "report_json": json.dumps(data, separators=(",", ":")),
            "report_html": report_html(result),
            "report_csv": json.dumps(report_csvs(result), sort_keys=True),
        }


class RunJobs:
    """Allocation runs and scenario runs on a small thread pool in this process, off the
    event loop, each with a time bound (:class:`JobRunner`). The single-process default;
    ``placement serve --workers N`` uses the queue instead
    (:class:`placement.service.queue.QueueJobs`).

    The pool size bounds how many solves run at once; the queue is bounded by the caller.
    """

    def __init__(self, engine: Engine, workers: int, validate: bool) -> None:
        self.engine = engine
        self.runner = JobRunner(engine, validate)
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="run")
        self._closed = False
        self._futures: set[Future[None]] = set()
        self._lock = threading.Lock()

    def in_flight(self) -> int:
        """Jobs submitted here and not yet returned: queued, running, or past their time
        bound but still computing (a thread cannot be stopped), so still using a worker."""
        with self._lock:
            return len(self._futures)

    def _track(self, fut: Future[None]) -> None:
        with self._lock:
            self._futures.add(fut)
        fut.add_done_callback(self._untrack)

    def _untrack(self, fut: Future[None]) -> None:
        with self._lock:
            self._futures.discard(fut)

    def _pool(self) -> ThreadPoolExecutor:
        """The pool, made again if the app's lifespan shut it down and the app serves on (a
        test client's lifespan per request, say)."""
        with self._lock:
            if self._closed:
                self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="run")
                self._closed = False
            return self.pool

    def enqueue(self, session: Session, kind: JobKind, job_id: int, time_limit_s: int) -> None:
        """Nothing: the thread starts after the commit (:meth:`submit`)."""

    def submit(self, run_id: int, time_limit_s: int) -> None:
        """Queue allocation run ``run_id``."""
        self._track(self._pool().submit(self.runner.run, "run", run_id, time_limit_s))

    def submit_scenario(self, scenario_run_id: int, time_limit_s: int) -> None:
        """Queue scenario run ``scenario_run_id``."""
        self._track(self._pool().submit(self.runner.run, "scenario", scenario_run_id, time_limit_s))

    def shutdown(self) -> None:
        self.runner.cancel_timers()
        with self._lock:
            self._closed = True
        self.pool.shutdown(wait=False, cancel_futures=True)


def _la_of(area: AreaRow) -> LaProfile | None:
    """The LA the area belongs to, for comparisons with its real figures (None if unknown)."""
    try:
        return resolve_la(area.la_code)
    except UnknownAreaError:
        return None


def service_scenario(text: str) -> Scenario:
    """Parse a scenario sent to the service. Its base is the stored area: of ``[base]`` only
    ``seed`` (default 1) and ``from_scratch`` apply; ``like``, ``scale``, ``cohort`` and
    ``area`` (a file written for the CLI) are ignored, never read, and the result's notes say
    so; any other key is refused. Raises :class:`~placement.files.errors.InputError` naming
    the line."""
    from placement.scenarios.spec import parse_scenario

    return parse_scenario(text, file="scenario.toml", stored_base=True)
