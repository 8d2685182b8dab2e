"""Versioned policies: an LA's overrides of the default policy data (``models/*.toml``),
validated by the core before they are stored, with the core's digest."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, func, select

from placement.files.policy_files import load_policy
from placement.policy import PolicyError
from placement.service.access import require
from placement.service.audit.events import record
from placement.service.db import begin_write
from placement.service.errors import InvalidError, NotFoundError
from placement.service.policies.models import PolicyRow
from placement.service.policies.schemas import PolicyCreate, PolicyPublic
from placement.service.schemas import Page, PageParams, public
from placement.service.security import Principal

__all__ = ["create_policy", "get_policy", "list_policies", "policy_public"]


def policy_public(r: PolicyRow) -> PolicyPublic:
    return public(PolicyPublic, r, overrides=json.loads(r.overrides))


def list_policies(session: Session, who: Principal, pg: PageParams) -> Page[PolicyPublic]:
    """The LA's policy versions, newest first."""
    require(who, "officer", "planner")
    q = select(PolicyRow).where(PolicyRow.la_code == who.la_code)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(
        q.order_by(col(PolicyRow.version).desc()).offset(pg.offset).limit(pg.size)
    ).all()
    return Page(items=[policy_public(r) for r in rows], page=pg.page, size=pg.size, total=total)


def _validated(overrides: dict[str, Any]) -> str:
    """The digest of the policy the overrides make, or a 422 saying what is wrong."""
    try:
        return load_policy(overrides).digest
    except PolicyError as e:
        raise InvalidError(f"policy: {e}") from None
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        raise InvalidError(f"policy: not understood ({type(e).__name__}: {e})") from None


def create_policy(session: Session, who: Principal, body: PolicyCreate) -> PolicyPublic:
    """A new version of the LA's policy: overrides laid over ``models/*.toml`` (the same
    tables as an area's ``policy.toml``), validated before they are stored."""
    require(who, "planner")
    digest = _validated(body.overrides)
    begin_write(session)
    last = session.exec(
        select(func.max(PolicyRow.version)).where(PolicyRow.la_code == who.la_code)
    ).one()
    row = PolicyRow(
        la_code=who.la_code,
        version=int(last or 0) + 1,
        overrides=json.dumps(body.overrides, sort_keys=True),
        digest=digest,
        note=body.note,
        created_by=who.username,
    )
    session.add(row)
    session.flush()
    record(session, who, "policy.create", "policy", str(row.id), version=row.version, digest=digest)
    session.commit()
    return policy_public(row)


def get_policy(session: Session, who: Principal, policy_id: int) -> PolicyPublic:
    require(who, "officer", "planner")
    r = session.get(PolicyRow, policy_id)
    if r is None or r.la_code != who.la_code:
        raise NotFoundError(f"policy {policy_id} not found")
    return policy_public(r)
