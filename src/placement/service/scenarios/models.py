"""A planner's scenario runs on a stored area, with their exports once finished."""

from __future__ import annotations

from sqlalchemy import Column, Text
from sqlmodel import Field

from placement.service.runs.models import JobColumns

__all__ = ["ScenarioRunRow"]


class ScenarioRunRow(JobColumns, table=True):
    """A planner's scenario run on a stored area: the scenario's TOML, its status and, when it
    has finished, its exports (already suppressed: counts of 1 to 9 are shown as "<10")."""

    __tablename__ = "scenario_run"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    area_revision: int
    policy_id: int | None = Field(default=None, foreign_key="policy.id")
    name: str = Field(max_length=200)
    scenario: str = Field(sa_column=Column(Text, nullable=False))  # the TOML as sent
    seed: int
    marginal: int
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    report_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    report_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    report_csv: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
