"""The accounts feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["Me", "Token"]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    la_code: str
    area_id: int | None
    child_id: str | None
