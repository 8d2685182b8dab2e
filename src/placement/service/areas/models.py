"""Areas and their settings: each setting's published capacity and roll, and the places confirmed
through this service (the counters a confirmation updates with one conditional ``UPDATE``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["AreaRow", "PoolRow", "SettingRow"]


class AreaRow(SQLModel, table=True):
    __tablename__ = "area"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    la_code: str = Field(max_length=16, index=True)
    source: str = Field(max_length=500)
    revision: int = 1
    num_children: int = 0
    num_settings: int = 0
    travel: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    policy_overrides: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class SettingRow(SQLModel, table=True):
    __tablename__ = "setting"
    __table_args__ = (UniqueConstraint("area_id", "setting_id"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    setting_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    capacity: int
    roll: int
    confirmed: int = 0  # places confirmed through this service
    data: str = Field(sa_column=Column(Text, nullable=False))


class PoolRow(SQLModel, table=True):
    __tablename__ = "setting_pool"
    __table_args__ = (UniqueConstraint("setting_row_id", "need"),)

    id: int | None = Field(default=None, primary_key=True)
    setting_row_id: int = Field(foreign_key="setting.id", index=True)
    need: str = Field(max_length=8)
    places: int
    roll: int
    confirmed: int = 0
