"""Allocation and scenario runs as jobs: :class:`JobRunner` runs one to its stored outcome
with a time bound; :class:`RunJobs` runs them on a thread pool in this process (the
single-process default), :class:`placement.service.queue.QueueJobs` on a queue in the
database that ``placement worker`` processes take from."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, Protocol, cast

from sqlalchemy import Engine
from sqlmodel import Session

from placement.area import Area
from placement.cohort import Scope
from placement.files.policy_files import load_policy
from placement.problem import build_problem
from placement.register import LaProfile, UnknownAreaError, resolve_la
from placement.scenarios.changes import Scenario
from placement.scenarios.dashboard import dashboard_data
from placement.scenarios.run import side_of
from placement.service.areas.models import AreaRow
from placement.service.audit import chain
from placement.service.clock import utcnow
from placement.service.db import write_session
from placement.service.engine import area_from_db, policy_overrides
from placement.service.rounds.service import make_working
from placement.service.runs.models import RunRow
from placement.service.scenarios.models import ScenarioRunRow
from placement.service.security import Principal
from placement.solve import Mechanism, allocate

__all__ = [
    "JOB_MODELS",
    "QUEUE_TASK",
    "JobKind",
    "JobRunner",
    "Jobs",
    "RunJobs",
    "service_scenario",
]

log = logging.getLogger("placement.service")


JobRow = RunRow | ScenarioRunRow
JobKind = Literal["run", "scenario"]
JOB_MODELS: dict[str, type[JobRow]] = {"run": RunRow, "scenario": ScenarioRunRow}
# the job queue's one task (placement.service.queue): its arguments say which kind and row
QUEUE_TASK = "placement.job"


class JobRefusedError(Exception):
    """A job that cannot run (its area is gone): it fails with this message."""


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
    chain.append(
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
            row.finished_at = utcnow()
            for k, v in fields.items():
                setattr(row, k, v)
            s.add(row)
            if isinstance(row, RunRow) and status == "succeeded" and row.working and area:
                who = Principal(0, row.created_by, "officer", area.la_code, None, None)
                make_working(s, who, area, row)
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
                row.status, row.started_at = "running", utcnow()
                s.add(row)
            self._timers[key] = timer
            timer.start()
            try:
                out = work(row)
            except JobRefusedError as e:
                out = str(e)
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

    def _read(self, job: JobRow) -> tuple[AreaRow, Area, dict[str, Any]]:
        """The job's area as an allocation run sees it (children with a confirmed placement
        left out, their places taken) and the policy overrides (:class:`JobRefusedError`
        saying why it cannot run)."""
        with Session(self.engine) as s:
            area = s.get(AreaRow, job.area_id)
            if area is None:
                raise JobRefusedError(f"area {job.area_id} is gone")
            return (
                area,
                area_from_db(s, area, for_run=True),
                policy_overrides(s, area, job.policy_id),
            )

    def _allocate(self, run: RunRow) -> dict[str, Any] | str:
        area, a, overrides = self._read(run)
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
        from placement.reports import report_html
        from placement.scenarios.report import report_csvs, report_json
        from placement.scenarios.run import run_scenario

        area, a, overrides = self._read(job)
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
