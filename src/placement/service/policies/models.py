"""An LA's versioned policy: overrides of the default policy data, with the core's digest."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["PolicyRow"]


class PolicyRow(SQLModel, table=True):
    __tablename__ = "policy"
    __table_args__ = (UniqueConstraint("la_code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    la_code: str = Field(max_length=16, index=True)
    version: int
    overrides: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=64)
    note: str = Field(default="", max_length=2000)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
