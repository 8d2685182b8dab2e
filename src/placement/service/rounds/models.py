"""Rounds of placement in an area: the first (phase transfer) and each later one, with the run
officers designated as the round's working run (every other run is a study)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["RoundRow"]


class RoundRow(SQLModel, table=True):
    """Round ``number`` of an area, opened by an officer; ``working_run_id`` the run that
    feeds recommendations, family pages and the worklist (None until one is designated)."""

    __tablename__ = "placement_round"
    __table_args__ = (UniqueConstraint("area_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    number: int
    opened_by: str = Field(max_length=64)
    opened_at: dt.datetime = Field(default_factory=utcnow)
    working_run_id: int | None = Field(default=None, foreign_key="allocation_run.id")
