"""Mediation and appeals to the First-tier Tribunal (SEND) against a decision, as recorded by
an officer: when registered, the hearing, the outcome and any setting the tribunal ordered."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["AppealRow"]


class AppealRow(SQLModel, table=True):
    """``kind``: mediation or tribunal; ``outcome``: pending, agreed or not_agreed
    (mediation), upheld, dismissed or withdrawn (tribunal); ``ordered_setting_id``: the setting
    a tribunal ordered to be named (it is fixed in the next round and in lists)."""

    __tablename__ = "appeal"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    child_id: str = Field(max_length=64, index=True)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    kind: str = Field(max_length=16)
    registered_on: dt.date
    hearing_on: dt.date | None = None
    outcome: str = Field(default="pending", max_length=16)
    ordered_setting_id: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=2000)
    recorded_by: str = Field(max_length=64)
    recorded_at: dt.datetime = Field(default_factory=utcnow)
