"""Placements through their workflow, and the idempotency keys of decisions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["IdempotencyRecord", "PlacementRow"]


class PlacementRow(SQLModel, table=True):
    __tablename__ = "placement"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    child_id: str = Field(max_length=64, index=True)
    setting_id: str = Field(max_length=64)
    pool_need: str | None = Field(default=None, max_length=8)
    status: str = Field(max_length=16)  # proposed, consulted, confirmed, declined, withdrawn
    run_id: int | None = Field(default=None, foreign_key="allocation_run.id")
    note: str = Field(default="", max_length=2000)
    proposed_by: str = Field(max_length=64)
    proposed_at: dt.datetime = Field(default_factory=utcnow)
    consultation_started_at: dt.datetime | None = None
    consultation_due: dt.date | None = None
    setting_response: str | None = Field(default=None, max_length=16)
    setting_response_note: str = Field(default="", max_length=2000)
    setting_responded_at: dt.datetime | None = None
    # an objection's ground as the setting asserts it (s.39(4)(a) unsuitable, or (b) the
    # efficient education of others), its evidence, and who replied (the setting's user, or
    # an officer recording a reply sent another way)
    setting_ground: str | None = Field(default=None, max_length=40)
    setting_replied_by: str | None = Field(default=None, max_length=64)
    phase_transfer_deadline: dt.date | None = None
    list_rank: int | None = None  # position on the child's tailored list at decision time
    top_setting_id: str | None = Field(default=None, max_length=64)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: dt.datetime | None = None
    decision_reason: str = Field(default="", max_length=2000)
    # eligibility rules the officer overrode on confirming (comma-separated codes; None: none)
    override_rules: str | None = Field(default=None, max_length=400)
    # the option the officer was shown as recommended when deciding
    recommended_setting_id: str | None = Field(default=None, max_length=64)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_key"

    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    key: str = Field(primary_key=True, max_length=128)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
