"""Allocation and scenario jobs on a queue in the PostgreSQL database, so that the service can
run as several processes: API processes put jobs on the queue (:class:`QueueJobs`) and
``placement worker`` processes take them off and run them (:func:`run_worker`).

The queue is procrastinate's (https://procrastinate.readthedocs.io): its tables live in the
service's own database (created by migration 0007), a job is put on it in the same
transaction that stores the run's row (both are committed, or neither is), and workers are
woken by PostgreSQL's LISTEN/NOTIFY. The run's row stays what the API, the pages and the audit
trail read: ``queued`` -> ``running`` -> ``succeeded`` or ``failed``, set by the same
:class:`~placement.service.jobs.JobRunner` as the single-process thread pool (time bound,
audit events, the conditional final update).

A worker that dies (killed, out of memory, its machine lost) stops sending heartbeats. Every
worker sweeps for such jobs every few seconds: a job whose worker has been silent for
``PLACEMENT_WORKER_STALLED_AFTER_S`` goes back on the queue (its row back to ``queued``, with a
``run.requeued`` audit event) and another worker runs it from the start; after
``PLACEMENT_JOB_ATTEMPTS`` tries it fails with "interrupted" instead. No job stays
``running`` for longer than the stall time past its worker's death while any worker is up.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector
from procrastinate import exceptions as pq_exceptions
from procrastinate.jobs import Status
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from placement.service.errors import UnavailableError
from placement.service.jobs import JOB_MODELS, QUEUE_TASK, JobKind, JobRunner
from placement.service.settings import Settings

__all__ = [
    "QUEUE",
    "TASK",
    "QueueJobs",
    "conninfo",
    "queue_app",
    "run_worker",
    "sweep_stalled",
]

log = logging.getLogger("placement.service.queue")
TASK = QUEUE_TASK  # one task for both kinds of job: its arguments say which
QUEUE = "placement"


def conninfo(database_url: str) -> str:
    """The libpq connection URI of a SQLAlchemy ``postgresql+psycopg://`` URL (its query,
    such as ``options=-csearch_path=...``, kept)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def queue_app(url: str | None = None, *, pool_size: int = 4) -> App:
    """The procrastinate app with the service's one task. ``url``: a libpq URI for a worker
    (its connection pool opens in :func:`run_worker`); None for an API process, which only
    puts jobs on the queue, on the connection of the transaction that stores the job."""
    connector = (
        PsycopgConnector(conninfo=url, min_size=1, max_size=pool_size)
        if url
        else PsycopgConnector()
    )
    app = App(connector=connector)

    @app.task(name=TASK, queue=QUEUE, pass_context=True)
    def placement_job(context: JobContext, kind: str, job_id: int, time_limit_s: int) -> None:
        runner: JobRunner = context.additional_context["runner"]
        if kind not in JOB_MODELS:
            log.error("job %s: unknown kind %r, skipped", context.job.id, kind)
            return
        runner.run("run" if kind == "run" else "scenario", int(job_id), int(time_limit_s))

    return app


class QueueJobs:
    """The API side of the queue (:class:`~placement.service.jobs.Jobs`): a job goes on the
    queue in the transaction that stores its row; nothing runs in this process."""

    def __init__(self) -> None:
        self.app = queue_app()

    def enqueue(self, session: Session, kind: JobKind, job_id: int, time_limit_s: int) -> None:
        conn: Any = session.connection().connection.driver_connection
        try:
            self.app.configure_task(TASK, connection=conn, queue=QUEUE).defer(
                kind=kind, job_id=job_id, time_limit_s=time_limit_s
            )
        except pq_exceptions.ConnectorException as e:
            log.error("the job queue refused %s %s: %s", kind, job_id, e.__cause__ or e)
            raise UnavailableError(
                "the job queue cannot take the job; try again later", slug="queue"
            ) from None

    def submit(self, run_id: int, time_limit_s: int) -> None:
        """Nothing: a worker takes the job from the queue."""

    def submit_scenario(self, scenario_run_id: int, time_limit_s: int) -> None:
        """Nothing: a worker takes the job from the queue."""

    def in_flight(self) -> int:
        return 0  # every queued or running job is in the database, which is counted

    def shutdown(self) -> None:
        pass


async def sweep_stalled(app: App, runner: JobRunner, settings: Settings) -> list[str]:
    """Take back the jobs whose worker has sent no heartbeat for
    ``worker_stalled_after_s``: each goes back on the queue, or fails once it has had
    ``job_attempts`` tries. Returns what was done, one line a job.

    Safe with many workers sweeping at once: the row changes only if it is still queued or
    running (one audit event), and procrastinate moves a job on only from ``doing`` (the
    others' calls fail and are ignored)."""
    done: list[str] = []
    stalled = await app.job_manager.get_stalled_jobs(
        task_name=TASK, seconds_since_heartbeat=settings.worker_stalled_after_s
    )
    for job in stalled:
        kind, job_id = job.task_kwargs.get("kind"), job.task_kwargs.get("job_id")
        if kind not in JOB_MODELS or not isinstance(job_id, int):
            continue
        model = JOB_MODELS[kind]
        tries = job.attempts + 1  # this one included
        silent = f"its worker sent no heartbeat for {settings.worker_stalled_after_s:g} s"
        try:
            if tries < settings.job_attempts:
                await asyncio.to_thread(
                    runner.requeue, model, job_id, reason=f"{silent} (try {tries})"
                )
                await app.job_manager.retry_job(job)
                done.append(f"{kind} {job_id}: back on the queue ({silent}, try {tries})")
            else:
                await asyncio.to_thread(
                    runner.finish,
                    model,
                    job_id,
                    "failed",
                    error=f"interrupted: {silent}, on each of {tries} tries",
                )
                await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
                done.append(f"{kind} {job_id}: failed ({silent}, {tries} tries)")
        except pq_exceptions.ConnectorException:
            continue  # another worker moved it on first
    for line in done:
        log.warning("stalled job %s", line)
    return done


async def _sweep_forever(app: App, runner: JobRunner, settings: Settings) -> None:
    every = max(0.5, min(settings.worker_heartbeat_s, settings.worker_stalled_after_s / 4))
    while True:
        try:
            await sweep_stalled(app, runner, settings)
        except Exception as e:  # the database is away: try again at the next sweep
            log.warning("the sweep for stalled jobs failed: %s", type(e.__cause__ or e).__name__)
        await asyncio.sleep(every)


def run_worker(settings: Settings, engine: Engine, *, concurrency: int) -> None:
    """Run jobs from the queue until SIGINT or SIGTERM (a job running then is finished
    first). ``engine`` is the service's, migrated."""
    from placement.service.anchor import AnchorWriter

    runner = JobRunner(engine, settings.validate_runs)
    app = queue_app(conninfo(settings.database_url), pool_size=concurrency + 4)
    anchor: AnchorWriter | None = None
    if settings.audit_anchor:  # job outcomes are audit events: anchor them from here too
        token = settings.audit_anchor_token
        anchor = AnchorWriter(
            engine,
            settings.audit_anchor,
            interval_s=settings.audit_anchor_interval_s,
            token=token.get_secret_value() if token else None,
        )
        anchor.start()

    async def main() -> None:
        async with app.open_async():
            sweeper = asyncio.create_task(_sweep_forever(app, runner, settings))
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    name=f"placement@{socket.gethostname()}",
                    concurrency=concurrency,
                    additional_context={"runner": runner},
                    update_heartbeat_interval=settings.worker_heartbeat_s,
                    stalled_worker_timeout=settings.worker_stalled_after_s,
                )
            finally:
                sweeper.cancel()

    try:
        asyncio.run(main())
    finally:
        runner.cancel_timers()
        if anchor is not None:
            anchor.stop()
