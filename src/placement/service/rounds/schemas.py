"""The rounds feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

__all__ = ["RoundPublic"]


class RoundPublic(BaseModel):
    area_id: int
    number: int
    working_run_id: int | None
    opened_at: dt.datetime | None
