"""The service as several processes behind one PostgreSQL database (issue 15 item 5): real
``placement serve`` and ``placement worker`` subprocesses on a fresh schema; jobs on the queue,
taken back from a worker that dies; no process serving a stale list; and the CLI refusing
several processes on SQLite.

Every wait polls with a generous bound that only stops a broken test from hanging; nothing
here depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from placement.app import create_app
from placement.cli import main
from placement.service.accounts.service import create_user
from placement.service.areas.models import AreaRow
from placement.service.areas.service import store_area
from placement.service.audit.models import AuditEvent
from placement.service.db import make_engine, migrate
from placement.service.jobs import JobRunner
from placement.service.queue import QueueJobs, conninfo, queue_app, sweep_stalled
from placement.service.runs.models import RunRow
from placement.service.runs.schemas import RunCreate
from placement.service.runs.service import queue_run
from placement.service.security import Principal
from placement.service.settings import Settings
from tests.service.conftest import PASSWORD, TEST_SECRET, small_area
from tests.service.test_scenarios import MORE_ASD

pytestmark = pytest.mark.postgres

BIN = Path(sys.executable).parent
LIVENESS_S = 180.0  # the bound on any one wait: only a broken test reaches it
# a killed worker's jobs are taken back after this long without its heartbeat
HEARTBEAT_S, STALLED_AFTER_S = "0.5", "3"

# A worker whose allocation jobs wait for a file before they start: the test decides when a
# job is "mid-job", kills the worker there, or lets it pass its time limit.
HELD_WORKER = """
import sys, time
from pathlib import Path
from placement.service import jobs
gate = Path(sys.argv[1])
real = jobs.JobRunner._allocate
def held(self, run):
    (gate / f"started-{run.id}").touch()
    while not (gate / "release").exists():
        time.sleep(0.05)
    return real(self, run)
jobs.JobRunner._allocate = held
from placement.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _wait(what: str, ok: Callable[[], Any], *, procs: list[Proc] | None = None) -> Any:
    """Poll ``ok`` until it gives something truthy; fail (with the processes' logs) if a
    process dies first or the liveness bound passes."""
    end = time.monotonic() + LIVENESS_S
    while time.monotonic() < end:
        got = ok()
        if got:
            return got
        for p in procs or []:
            if p.popen.poll() is not None:
                pytest.fail(f"{p.name} exited ({p.popen.returncode}) before {what}:\n{p.tail()}")
        time.sleep(0.1)
    logs = "\n".join(p.tail() for p in procs or [])
    pytest.fail(f"no {what} within {LIVENESS_S:.0f} s\n{logs}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, n: int = 4000) -> str:
        text_ = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ---\n{text_[-n:]}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


class Cluster:
    """The processes of one test, on its own schema; all stopped at the end."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.url, self.tmp, self.procs = url, tmp, list[Proc]()
        self.env = {
            **os.environ,
            "PLACEMENT_DATABASE_URL": url,
            "PLACEMENT_JWT_SECRET": TEST_SECRET,
            "PLACEMENT_IMPORT_ROOT": str(tmp / "imports"),
            "PLACEMENT_WORKER_HEARTBEAT_S": HEARTBEAT_S,
            "PLACEMENT_WORKER_STALLED_AFTER_S": STALLED_AFTER_S,
        }

    def start(self, name: str, argv: list[str]) -> Proc:
        log = self.tmp / f"{name}.log"
        with open(log, "wb") as fh:
            popen = subprocess.Popen(
                argv,
                env=self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: uvicorn's children too
                cwd=self.tmp,
            )
        p = Proc(name, popen, log)
        self.procs.append(p)
        return p

    def api(self, name: str, *flags: str) -> str:
        """Start ``placement serve`` with ``flags``; its base URL once /health answers."""
        port = _free_port()
        p = self.start(
            name, [str(BIN / "placement"), "serve", "--no-demo", "--port", str(port), *flags]
        )
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/health", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(f"{name} answering", healthy, procs=[p])
        return base

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.stop()


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(pg_url, tmp_path)
    try:
        yield c
    finally:
        c.stop()


def _seed(url: str) -> tuple[Engine, int]:
    """The schema migrated, one area (Kent's LA code) and its officer, planner and the family
    of C01 (who asked for S1, which has one place left)."""
    engine = make_engine(Settings(database_url=url, jwt_secret=TEST_SECRET))
    migrate(engine)
    with Session(engine, expire_on_commit=False) as s:
        area = store_area(
            s,
            Principal(0, "setup", "planner", "886", None, None),
            area=small_area("kent-test", "886"),
            overrides={},
            name="Kent test",
            source="test",
            max_children=1000,
        )
        assert area.id is not None
        for name, role, la, area_id, cid in (
            ("officer", "officer", "886", None, None),
            ("planner", "planner", "886", None, None),
            ("family", "family", "", area.id, "C01"),
        ):
            create_user(
                s,
                username=name,
                password=PASSWORD,
                role=role,
                la_code=la,
                area_id=area_id,
                child_id=cid,
            )
    return engine, area.id


def _queue_run(engine: Engine, area_id: int, *, time_limit_s: int = 300) -> int:
    """An allocation run started as the API starts one, with its job on the queue."""
    with Session(engine, expire_on_commit=False) as s:
        area = s.get(AreaRow, area_id)
        assert area is not None
        run = queue_run(
            s,
            Principal(0, "planner", "planner", "886", None, None),
            area,
            RunCreate(mechanism="optimised", seed=1),
            jobs=QueueJobs(),
            max_queued=4,
            limit=time_limit_s,
        )
        assert run.id is not None
        return run.id


def _sign_in(base: str, who: str) -> dict[str, str]:
    r = httpx.post(f"{base}/auth/token", data={"username": who, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _audit(engine: Engine, action: str, object_id: str) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.object_id == object_id)
                .order_by(col(AuditEvent.seq))
            ).all()
        )


def _queue_status(engine: Engine, run_id: int) -> str | None:
    with engine.connect() as c:
        got = c.execute(
            text(
                "SELECT status::text FROM procrastinate_jobs WHERE args->>'kind' = 'run'"
                " AND (args->>'job_id')::int = :id ORDER BY id DESC LIMIT 1"
            ),
            {"id": run_id},
        ).scalar()
    return None if got is None else str(got)


def test_two_api_processes_and_a_worker_share_jobs_and_lists(
    cluster: Cluster, tmp_path: Path
) -> None:
    engine, area_id = _seed(cluster.url)
    try:
        a = cluster.api("api-a", "--workers", "2")  # two uvicorn processes on one port
        b = cluster.api("api-b", "--jobs", "queue")
        worker = cluster.start("worker", [str(BIN / "placement"), "worker"])
        planner_a, officer_a = _sign_in(a, "planner"), _sign_in(a, "officer")
        officer_b, family_b = _sign_in(b, "officer"), _sign_in(b, "family")
        lists = f"/areas/{area_id}/children"

        # B builds and keeps its lists before any run
        before = httpx.get(f"{b}{lists}/C03/list", headers=officer_b).json()
        assert before["run_id"] is None
        mine = httpx.get(f"{b}{lists}/C01/list", headers=family_b).json()
        assert {x["setting_id"]: x["status"] for x in mine["requests"]} == {
            "S1": "being_considered"
        }

        # a run started through A is queued, not run by A, and done by the worker
        r = httpx.post(f"{a}/areas/{area_id}/runs", json={}, headers=officer_a)
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]

        def finished() -> dict[str, Any] | None:
            run: dict[str, Any] = httpx.get(f"{b}/runs/{run_id}", headers=officer_b).json()
            return run if run["status"] in ("succeeded", "failed") else None

        run = _wait("the run done", finished, procs=cluster.procs)
        assert run["status"] == "succeeded", run
        assert _queue_status(engine, run_id) == "succeeded"  # the worker took it off the queue
        assert [e.actor for e in _audit(engine, "run.succeeded", str(run_id))] == ["system"]

        # a scenario started through B: done by the worker too, its report read through A
        r = httpx.post(
            f"{b}/areas/{area_id}/scenarios",
            json={"scenario": MORE_ASD},
            headers=_sign_in(b, "planner"),
        )
        assert r.status_code == 202, r.text
        sid = r.json()["id"]

        def scenario_done() -> dict[str, Any] | None:
            got: dict[str, Any] = httpx.get(f"{a}/scenarios/{sid}", headers=planner_a).json()
            return got if got["status"] in ("succeeded", "failed") else None

        assert _wait("the scenario done", scenario_done, procs=cluster.procs)["status"] == (
            "succeeded"
        )
        assert httpx.get(f"{a}/scenarios/{sid}/report.json", headers=planner_a).status_code == 200

        # B serves the new run's lists at once, though it had the old ones
        after = httpx.get(f"{b}{lists}/C03/list", headers=officer_b).json()
        assert after["run_id"] == run_id
        assert httpx.get(f"{a}{lists}/C03/list", headers=officer_a).json()["run_id"] == run_id

        # a confirmation through A: B's list for the family says so at once
        r = httpx.post(f"{a}{lists}/C01/placements", json={"setting_id": "S1"}, headers=officer_a)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        r = httpx.post(f"{a}/placements/{pid}/consultation", headers=officer_a)
        assert r.status_code == 200, r.text
        r = httpx.post(
            f"{a}/placements/{pid}/decision",
            json={"outcome": "confirmed", "reason": "the family's request"},
            headers=officer_a,
        )
        assert r.status_code == 201, r.text
        mine = httpx.get(f"{b}{lists}/C01/list", headers=family_b).json()
        assert {x["setting_id"]: x["status"] for x in mine["requests"]} == {"S1": "named"}
        work = httpx.get(f"{b}/areas/{area_id}/children?q=C01", headers=officer_b).json()
        assert [(c["child_id"], c["placement_status"]) for c in work["items"]] == [
            ("C01", "confirmed")
        ]

        # and a run an officer starts through B, after the confirmation, is A's lists' run
        # at once (a planner's run would be a study: it changes no one's lists)
        r = httpx.post(f"{b}/areas/{area_id}/runs", json={}, headers=officer_b)
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]
        assert _wait("the second run done", finished, procs=cluster.procs)["status"] == (
            "succeeded"
        )
        assert httpx.get(f"{a}{lists}/C03/list", headers=officer_a).json()["run_id"] == run_id
        assert worker.popen.poll() is None
    finally:
        engine.dispose()


def test_a_job_outlives_its_worker_and_its_time_limit(cluster: Cluster, tmp_path: Path) -> None:
    """A worker killed mid-job: its job goes back on the queue and another worker runs it.
    A job past its time limit fails at the limit, and what it finishes later is discarded."""
    engine, area_id = _seed(cluster.url)
    gate = tmp_path / "gate"
    gate.mkdir()

    def start_run(time_limit_s: int) -> int:
        return _queue_run(engine, area_id, time_limit_s=time_limit_s)

    def row(run_id: int) -> RunRow:
        with Session(engine) as s:
            got = s.get(RunRow, run_id)
            assert got is not None
            return got

    try:
        script = tmp_path / "held_worker.py"
        script.write_text(HELD_WORKER)
        held = cluster.start("held-worker", [sys.executable, str(script), str(gate), "worker"])

        # past its time limit: failed at the limit while the worker is still on it
        slow = start_run(time_limit_s=1)
        _wait("the slow job started", (gate / f"started-{slow}").exists, procs=[held])
        _wait("the time limit", lambda: row(slow).status == "failed", procs=[held])
        assert "time limit of 1 s" in (row(slow).error or "")
        (gate / "release").touch()  # it finishes now: too late to count
        _wait("the slow job off the queue", lambda: _queue_status(engine, slow) == "succeeded")
        assert row(slow).status == "failed" and row(slow).result is None
        (gate / "release").unlink()

        # killed mid-job
        run_id = start_run(time_limit_s=300)
        _wait("the job started", (gate / f"started-{run_id}").exists, procs=[held])
        assert row(run_id).status == "running"
        held.stop(signal.SIGKILL)
        assert row(run_id).status == "running"  # nobody has said otherwise yet
        cluster.start("worker", [str(BIN / "placement"), "worker"])
        _wait(
            "the job run again", lambda: row(run_id).status == "succeeded", procs=cluster.procs[1:]
        )
        requeued = _audit(engine, "run.requeued", str(run_id))
        assert len(requeued) == 1 and "heartbeat" in requeued[0].details
        assert len(_audit(engine, "run.succeeded", str(run_id))) == 1
        assert row(run_id).result is not None
    finally:
        engine.dispose()


def test_a_job_that_keeps_losing_its_worker_fails_once(pg_url: str) -> None:
    """After ``job_attempts`` tries a stalled job fails with "interrupted", and many workers
    sweeping at once make one outcome and one audit event."""
    engine, area_id = _seed(pg_url)
    settings = Settings(
        database_url=pg_url,
        jwt_secret=TEST_SECRET,
        job_attempts=1,
        worker_heartbeat_s=0.5,
        worker_stalled_after_s=1,
    )
    try:
        run_id = _queue_run(engine, area_id)

        async def lose_and_sweep() -> list[list[str]]:
            app = queue_app(conninfo(pg_url))
            async with app.open_async():
                jm = app.job_manager
                dead = await jm.register_worker()  # a worker that takes the job, then dies
                job = await jm.fetch_job(queues=None, worker_id=dead)
                assert job is not None and job.task_kwargs["job_id"] == run_id
                await app.connector.execute_query_async(
                    "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
                )
                runner = JobRunner(engine, validate=True)
                return list(
                    await asyncio.gather(*(sweep_stalled(app, runner, settings) for _ in range(3)))
                )

        swept = asyncio.run(lose_and_sweep())
        assert sum(len(x) for x in swept) >= 1
        with Session(engine) as s:
            got = s.get(RunRow, run_id)
            assert got is not None and got.status == "failed"
            assert (got.error or "").startswith("interrupted: its worker sent no heartbeat")
        assert len(_audit(engine, "run.failed", str(run_id))) == 1
        assert _queue_status(engine, run_id) == "failed"
    finally:
        engine.dispose()


def test_a_single_process_start_leaves_the_queues_jobs_alone(pg_url: str, tmp_path: Path) -> None:
    """A single-process service starting on the database fails the jobs an earlier single
    process left unfinished, but not the jobs on the queue (workers have those)."""
    engine, area_id = _seed(pg_url)
    on_queue = _queue_run(engine, area_id)
    with Session(engine, expire_on_commit=False) as s:
        left = RunRow(
            area_id=area_id,
            area_revision=1,
            mechanism="optimised",
            seed=1,
            time_limit_s=60,
            status="running",
            created_by="planner",
        )
        s.add(left)
        s.commit()
        assert left.id is not None
    app = create_app(
        Settings(database_url=pg_url, jwt_secret=TEST_SECRET, import_root=tmp_path / "imports")
    )
    try:
        with Session(engine) as s:
            queued, gone = s.get(RunRow, on_queue), s.get(RunRow, left.id)
            assert queued is not None and queued.status == "queued"
            assert gone is not None and gone.status == "failed"
            assert gone.error == "interrupted: the service restarted"
    finally:
        app.state.ctx.jobs.shutdown()
        app.state.ctx.ops.stop()
        app.state.ctx.engine.dispose()
        engine.dispose()


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["serve", "--workers", "2"], "--workers 2 needs PostgreSQL"),
        (["serve", "--jobs", "queue"], "--jobs queue needs PostgreSQL"),
        (["worker"], "placement worker needs PostgreSQL"),
    ],
)
def test_several_processes_on_sqlite_are_refused(
    argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "one.db"
    assert main([*argv, "--database-url", f"sqlite:///{db}"]) == 2
    err = capsys.readouterr().err
    assert named in err and "SQLite serves a single process" in err
    assert "Traceback" not in err
    assert not db.exists()  # refused before anything was made


def test_the_stall_time_must_outlast_heartbeats(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="at least twice PLACEMENT_WORKER_HEARTBEAT_S"):
        Settings(jwt_secret=TEST_SECRET, worker_heartbeat_s=10, worker_stalled_after_s=15)
    monkeypatch.setenv("PLACEMENT_WORKER_STALLED_AFTER_S", "15")
    assert main(["worker", "--database-url", "postgresql+psycopg://nobody@127.0.0.1/none"]) == 2
    err = capsys.readouterr().err
    assert "PLACEMENT_WORKER_STALLED_AFTER_S (15) must be at least twice" in err
    assert "Traceback" not in err
