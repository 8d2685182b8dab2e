"""Decisions as records: dated, immutable (database triggers refuse any change), each holding
everything its letter says as it stood when it was made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["DecisionRow"]


class DecisionRow(SQLModel, table=True):
    """One decision about one child: ``kind`` named (a setting named for the child, with the
    requests it decided), refused (requests refused without a setting named yet), withdrawn
    (a proposal withdrawn before a decision), or panel (a panel's decision on a child hard to
    place). ``record`` is the canonical JSON the letter renders from, alone; ``letter_sha256``
    the hash of the letter as issued (also in the audit trail), which is kept as ``letter``."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    child_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)
    round_number: int = 1
    placement_id: int | None = Field(default=None, foreign_key="placement.id")
    setting_id: str | None = Field(default=None, max_length=64)
    decided_by: str = Field(max_length=64)
    decided_at: dt.datetime = Field(default_factory=utcnow)
    record: str = Field(sa_column=Column(Text, nullable=False))
    letter: str = Field(sa_column=Column(Text, nullable=False))  # as issued (HTML)
    letter_sha256: str = Field(max_length=64)
