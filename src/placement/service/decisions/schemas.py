"""The decisions feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from placement.service.schemas import Input, Reason

__all__ = ["DecisionPublic", "RefusalCreate"]


class RefusalCreate(Input):
    """Refuse one open request now, on the grounds that hold (the service finds them)."""

    reason: Reason = ""


class DecisionPublic(BaseModel):
    id: int
    area_id: int
    child_id: str
    kind: str
    round_number: int
    setting_id: str | None
    placement_id: int | None
    decided_at: dt.datetime
    decided_by: str | None  # staff username: officers only
    reference: str
    letter: str  # the letter's address
    letter_sha256: str
    record: dict[str, Any]  # everything the letter says, as it stood then
