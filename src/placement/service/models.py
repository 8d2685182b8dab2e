"""Database tables (SQLModel). API shapes live in :mod:`placement.service.schemas`; nothing
inherits from a table model.

Children and settings keep their full domain record as canonical JSON (``data``) beside the
columns that queries filter on; capacity counters (``confirmed``) live on the setting and pool
rows so a confirmation is one conditional ``UPDATE``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "AreaRow",
    "AuditEvent",
    "AuditHead",
    "ChildRow",
    "IdempotencyRecord",
    "PlacementRow",
    "PolicyRow",
    "PoolRow",
    "RunRow",
    "ScenarioRunRow",
    "SettingRow",
    "User",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)  # officer, family, planner
    la_code: str = Field(max_length=16)
    area_id: int | None = Field(default=None, foreign_key="area.id")  # family only
    child_id: str | None = Field(default=None, max_length=64)  # family only
    disabled: bool = False
    created_at: dt.datetime = Field(default_factory=_now)
    # in every token (claim ``ver``); bumped by logout, disable, enable, password reset and
    # role change, so all earlier tokens stop working
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


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
    created_at: dt.datetime = Field(default_factory=_now)


class ChildRow(SQLModel, table=True):
    __tablename__ = "child"
    __table_args__ = (UniqueConstraint("area_id", "child_id"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    child_id: str = Field(max_length=64)
    primary_need: str = Field(max_length=8)
    nc_year: int | None = None
    data: str = Field(sa_column=Column(Text, nullable=False))


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
    created_at: dt.datetime = Field(default_factory=_now)


class RunRow(SQLModel, table=True):
    __tablename__ = "allocation_run"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    area_revision: int
    policy_id: int | None = Field(default=None, foreign_key="policy.id")
    mechanism: str = Field(max_length=32)
    # "moving": the children moving this round (lists and placements read these runs);
    # "from_scratch": a planner's whole-caseload study, never read by lists or placements
    scope: str = Field(
        default="moving", max_length=16, sa_column_kwargs={"server_default": "moving"}
    )
    seed: int
    time_limit_s: int
    status: str = Field(max_length=16, index=True)  # queued, running, succeeded, failed
    error: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=_now)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    manifest: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    metrics: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # the area dashboard (disclosure-controlled JSON), made when the run succeeds
    dashboard: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ScenarioRunRow(SQLModel, table=True):
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
    time_limit_s: int
    status: str = Field(max_length=16, index=True)  # queued, running, succeeded, failed
    error: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=_now)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    report_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    report_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    report_csv: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


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
    proposed_at: dt.datetime = Field(default_factory=_now)
    consultation_started_at: dt.datetime | None = None
    consultation_due: dt.date | None = None
    setting_response: str | None = Field(default=None, max_length=16)
    setting_response_note: str = Field(default="", max_length=2000)
    setting_responded_at: dt.datetime | None = None
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
    created_at: dt.datetime = Field(default_factory=_now)


class AuditEvent(SQLModel, table=True):
    """One append-only event: ``hash = sha256(prev_hash + canonical JSON of the event)``."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: str = Field(max_length=40)
    actor: str = Field(max_length=64)
    role: str = Field(max_length=16)
    action: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    object_id: str = Field(max_length=128)
    la_code: str = Field(max_length=16, index=True)
    details: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The single row every write transaction locks first: the chain's last seq and hash."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)
