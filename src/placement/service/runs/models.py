"""Allocation runs: a job per row, with its manifest, metrics, result and dashboard once it has
succeeded.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["JobColumns", "RunRow"]


class JobColumns(SQLModel):
    """What every job's row holds besides its own inputs and outputs: its state, who started
    it and when it ran (an allocation run's, a scenario run's)."""

    time_limit_s: int
    status: str = Field(max_length=16, index=True)  # queued, running, succeeded, failed
    error: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class RunRow(JobColumns, table=True):
    __tablename__ = "allocation_run"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    area_revision: int
    policy_id: int | None = Field(default=None, foreign_key="policy.id")
    mechanism: str = Field(max_length=32)
    # "moving": the children moving this round (lists and placements read these runs);
    # "from_scratch": a planner's whole-caseload study, never read by lists or placements
    scope: str = Field(
        default="moving", max_length=16, sa_column_kwargs={"server_default": "moving"}
    )
    seed: int
    manifest: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    metrics: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # an officer's run that becomes the round's working run when it succeeds (every other
    # run is a study: it never changes what officers and families are shown)
    working: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # the area dashboard (disclosure-controlled JSON), made when the run succeeds
    dashboard: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
