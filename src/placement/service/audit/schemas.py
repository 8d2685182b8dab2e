"""The audit feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["AuditEventPublic", "ChainPublic"]


class ChainPublic(BaseModel):
    ok: bool
    events: int
    head_seq: int
    head_hash: str = Field(description="keep it outside the database (or set an anchor)")
    first_bad_seq: int | None
    problem: str | None
    anchor_seq: int | None = Field(
        default=None, description="the anchored event the chain was checked against, if any"
    )


class AuditEventPublic(BaseModel):
    seq: int
    at: str
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
