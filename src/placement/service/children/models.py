"""Children: the full domain record as canonical JSON (``data``) beside the columns the worklist
filters on.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["ChildRow"]


class ChildRow(SQLModel, table=True):
    __tablename__ = "child"
    __table_args__ = (UniqueConstraint("area_id", "child_id"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    child_id: str = Field(max_length=64)
    primary_need: str = Field(max_length=8)
    nc_year: int | None = None
    data: str = Field(sa_column=Column(Text, nullable=False))
    # the case around the plan: a synthetic first name (no real child's data here), and the
    # statutory timeline's dates (the 20-week EHC timeline from the assessment request; the
    # annual review from the plan or its last review)
    first_name: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    assessment_requested_on: dt.date | None = None
    draft_issued_on: dt.date | None = None
    plan_issued_on: dt.date | None = None
    last_review_on: dt.date | None = None
