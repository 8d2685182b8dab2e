"""The policies feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from placement.service.schemas import Input, JsonObject, Text

__all__ = ["PolicyCreate", "PolicyPublic"]


class PolicyCreate(Input):
    overrides: JsonObject
    note: Text = ""


class PolicyPublic(BaseModel):
    id: int
    la_code: str
    version: int
    digest: str
    overrides: dict[str, Any]
    note: str
    created_by: str
    created_at: dt.datetime
