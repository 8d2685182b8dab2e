"""Typed path parameters the API's routes share (ids as the database and the core write
them); the pages use the same."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query

__all__ = [
    "ID",
    "ID_PART",
    "AreaId",
    "AudienceQ",
    "ChildId",
    "DbId",
    "PlacementId",
    "PolicyId",
    "RunId",
    "ScenarioId",
    "SettingId",
]

ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
ID_PART = r"^[A-Za-z0-9_.\-]{1,64}$"
DbId = Annotated[int, Path(ge=1, le=2_147_483_647)]
AreaId = DbId
RunId = DbId
PlacementId = DbId
PolicyId = DbId
ScenarioId = DbId
ChildId = Annotated[str, Path(pattern=ID)]
SettingId = Annotated[str, Path(pattern=ID)]
AudienceQ = Annotated[Literal["officer", "family"] | None, Query()]
