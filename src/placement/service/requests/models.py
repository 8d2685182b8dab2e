"""A family's requests, one row per request: each made at a time, decided once (named or
refused by a decision, or withdrawn by the family before one), and never changed after."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["RequestRow"]


class RequestRow(SQLModel, table=True):
    """One request (CFA 2014 s.38) or representation (EA 1996 s.9) for one setting. ``rank``
    is the family's order among its open requests; ``status``: open, named, refused, or
    withdrawn (by the family, before any decision); ``decision_id`` the decision that
    decided it."""

    __tablename__ = "family_request"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    child_id: str = Field(max_length=64, index=True)
    setting_id: str = Field(max_length=64)
    rank: int
    status: str = Field(default="open", max_length=16)
    made_at: dt.datetime = Field(default_factory=utcnow)
    made_by: str = Field(max_length=64)
    closed_at: dt.datetime | None = None
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
