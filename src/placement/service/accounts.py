"""Managing users after they are made: disable, enable, reset a password, change a role, log
out; and LA codes checked against the 153 English LAs.

Each change bumps the user's ``token_version``, so every token issued before it stops working
(re-enabling a user does not revive the tokens they had), and is written to the audit trail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from placement.service import audit
from placement.service.db import begin_write
from placement.service.errors import ConflictError, InvalidError, NotFoundError
from placement.service.models import AreaRow, ChildRow, User
from placement.service.security import ROLES, Principal, hash_password

__all__ = [
    "MIN_PASSWORD",
    "check_password",
    "disable_user",
    "enable_user",
    "la_code",
    "logout",
    "reset_password",
    "set_role",
]

MIN_PASSWORD = 12


def la_code(code: str, *, flag: str = "--la") -> str:
    """The LA's three-digit code (as the service stores it) for a name, a new code (E10000016)
    or an old code (886); :class:`InvalidError` naming ``flag`` if it is none of the 153."""
    from placement.register import UnknownAreaError, resolve_la

    try:
        return resolve_la(code).old_la_code
    except UnknownAreaError as e:
        # "unknown local authority '9999' (did you mean ...?) (give a name such as Kent ...)"
        hint = str(e).split(f"{code!r}", 1)[-1]
        raise InvalidError(
            f"{flag} {code}: not one of the 153 English local authorities{hint}"
        ) from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidError(f"passwords need at least {MIN_PASSWORD} characters")


def _user(session: Session, username: str) -> User:
    u = session.exec(select(User).where(User.username == username)).first()
    if u is None or u.id is None:
        raise NotFoundError(f"no user {username!r}")
    return u


def _bump(session: Session, user_id: int, **values: Any) -> None:
    """Set ``values`` and bump the token version, in one UPDATE."""
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(token_version=col(User.token_version) + 1, **values)
    )


def _audit(session: Session, u: User, action: str, actor: str, role: str, **details: Any) -> None:
    audit.append(
        session,
        actor=actor,
        role=role,
        action=action,
        object_type="user",
        object_id=u.username,
        la_code=u.la_code,
        details=details,
    )


def _change(
    session: Session, username: str, action: str, *, details: dict[str, Any], **values: Any
) -> User:
    begin_write(session)
    u = _user(session, username)
    assert u.id is not None
    _bump(session, u.id, **values)
    _audit(session, u, action, "cli", "admin", **details)
    session.commit()
    session.refresh(u)
    return u


def disable_user(session: Session, username: str) -> User:
    """No sign-in and no request with any token until enabled."""
    return _change(session, username, "user.disable", details={}, disabled=True)


def enable_user(session: Session, username: str) -> User:
    """Sign-in works again; tokens from before (or from before the disable) stay dead."""
    return _change(session, username, "user.enable", details={}, disabled=False)


def reset_password(session: Session, username: str, password: str) -> User:
    """A new password; every token issued before stops working."""
    check_password(password)
    return _change(
        session, username, "user.reset_password", details={}, password_hash=hash_password(password)
    )


def set_role(
    session: Session,
    username: str,
    role: str,
    *,
    la: str | None = None,
    area_id: int | None = None,
    child_id: str | None = None,
) -> User:
    """Change a user's role (and scope: ``la`` for officers and planners, their LA's code by
    default; ``area_id`` and ``child_id`` for a family). Earlier tokens stop working."""
    if role not in ROLES:
        raise InvalidError(f"--role {role!r}: choose one of {', '.join(ROLES)}")
    begin_write(session)
    u = _user(session, username)
    before = {"role": u.role, "la_code": u.la_code, "area_id": u.area_id, "child_id": u.child_id}
    if role == "family":
        if area_id is None or child_id is None:
            raise InvalidError("a family user needs --area and --child")
        area = session.get(AreaRow, area_id)
        if area is None:
            raise NotFoundError(f"area {area_id} not found")
        found = session.exec(
            select(ChildRow.id).where(ChildRow.area_id == area_id, ChildRow.child_id == child_id)
        ).first()
        if found is None:
            raise NotFoundError(f"child {child_id} not found in area {area_id}")
        scope: dict[str, Any] = {"la_code": area.la_code, "area_id": area_id, "child_id": child_id}
    else:
        if la is None and not u.la_code:
            raise InvalidError(f"--la is needed: {username} has no LA")
        code = la_code(la) if la is not None else u.la_code
        scope = {"la_code": code, "area_id": None, "child_id": None}
    after = {"role": role, **scope}
    if after == before:
        raise ConflictError(f"{username} is already a {role} with that scope")
    assert u.id is not None
    _bump(session, u.id, role=role, **scope)
    _audit(session, u, "user.set_role", "cli", "admin", before=before, after=after)
    session.commit()
    session.refresh(u)
    return u


def logout(session: Session, who: Principal) -> None:
    """End every token of the caller (all their sessions, not only this one)."""
    begin_write(session)
    u = _user(session, who.username)
    assert u.id is not None
    _bump(session, u.id)
    _audit(session, u, "user.logout", who.username, who.role)
    session.commit()
