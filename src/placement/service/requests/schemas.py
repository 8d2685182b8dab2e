"""The requests feature's API shapes: inputs (unknown fields refused) and public outputs."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from placement.service.schemas import Id, Input

__all__ = ["RequestsUpdate"]


class RequestsUpdate(Input):
    setting_ids: Annotated[list[Id], Field(max_length=10)]
