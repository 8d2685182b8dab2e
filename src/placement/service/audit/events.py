"""Recording what a person did: one audit event per action, in the caller's transaction, under
the caller's LA (:func:`placement.service.audit.chain.append`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from placement.service.audit import chain
from placement.service.security import Principal

__all__ = ["record"]


def record(
    session: Session, who: Principal, action: str, object_type: str, object_id: str, **details: Any
) -> None:
    """Append the event ``action`` on ``object_type`` ``object_id`` by ``who``."""
    chain.append(
        session,
        actor=who.username,
        role=who.role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        la_code=who.la_code,
        details=details,
    )
