"""Children: the full domain record as canonical JSON (``data``) beside the columns the worklist
filters on.
"""

from __future__ import annotations

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
