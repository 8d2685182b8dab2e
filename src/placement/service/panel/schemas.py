"""The panel feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

from pydantic import BaseModel, field_validator

from placement.service.schemas import Id, Input, Reason

__all__ = ["HardToPlace", "NearOption", "PanelDecisionCreate"]


class NearOption(BaseModel):
    setting_id: str
    name: str
    journey_min: int | None
    places_left: int | None
    cost_gbp: int | None
    why_not: list[str]  # what stops it (officer words), empty when it is an option


class HardToPlace(BaseModel):
    child_id: str
    first_name: str
    nc_year: int | None
    primary_need: str
    need_band: int
    blocks: list[str]  # what blocks the child, in officer words
    nearest: list[NearOption]


class PanelDecisionCreate(Input):
    """What the panel decided (required), and the setting it named, if it named one (the
    placement then goes through consultation and an officer's confirmation)."""

    decision: Reason
    setting_id: Id | None = None

    @field_validator("decision")
    @classmethod
    def _said(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("say what the panel decided")
        return v
