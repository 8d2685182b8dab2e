"""Accounts: making users, signing in (a password for a token, within the sign-in limits),
the caller from a token, and managing users after they are made: disable, enable, reset a
password, change a role, log out; LA codes checked against the 153 English LAs.

Each change bumps the user's ``token_version``, so every token issued before it stops working
(re-enabling a user does not revive the tokens they had), and is written to the audit trail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from placement.service.accounts.models import User
from placement.service.accounts.schemas import Me
from placement.service.areas.models import AreaRow
from placement.service.audit import chain
from placement.service.children.models import ChildRow
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.errors import ConflictError, InvalidError, NotFoundError, UnauthorisedError
from placement.service.security import (
    ROLES,
    Principal,
    Role,
    decode_token,
    hash_password,
    issue_token,
    verify_password,
)

__all__ = [
    "MIN_PASSWORD",
    "authenticate",
    "check_password",
    "create_user",
    "disable_user",
    "enable_user",
    "la_code_of",
    "logout",
    "me",
    "principal_from_token",
    "reset_password",
    "set_role",
]

MIN_PASSWORD = 12


def la_code_of(code: str, *, flag: str = "--la") -> str:
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


def _family_la(session: Session, area_id: int | None, child_id: str | None) -> str:
    """The LA of a family's child (the area and the child must exist)."""
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
    return area.la_code


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    la_code: str,
    area_id: int | None = None,
    child_id: str | None = None,
) -> User:
    """Create a user (the CLI's ``placement users create``); families name their child."""
    if role not in ROLES:
        raise InvalidError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    check_password(password)
    begin_write(session)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise ConflictError(f"user {username!r} exists")
    if role == "family":
        la_code = _family_la(session, area_id, child_id)
    else:
        area_id = child_id = None
        la_code = la_code_of(la_code)  # one of the 153 LAs, as its three-digit code
    u = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        la_code=la_code,
        area_id=area_id,
        child_id=child_id,
    )
    session.add(u)
    session.flush()
    chain.append(
        session,
        actor="cli",
        role="admin",
        action="user.create",
        object_type="user",
        object_id=username,
        la_code=la_code,
        details={"role": role, "area_id": area_id, "child_id": child_id},
    )
    session.commit()
    return u


def principal_from_token(ctx: Ctx, session: Session, token: str) -> Principal | None:
    """The user a valid, unrevoked token names (the API's bearer token, or a page session's
    cookie holding the same token), else None."""
    claims = decode_token(token, ctx.secret, now=ctx.clock())
    user = session.get(User, claims.user_id) if claims is not None else None
    if (
        claims is None
        or user is None
        or user.disabled
        or user.id is None
        or user.token_version != claims.version  # revoked: logout, disable, reset, role
    ):
        return None
    role: Role = user.role  # type: ignore[assignment]
    session.commit()  # end the read transaction: a write may follow with the lock first
    return Principal(user.id, user.username, role, user.la_code, user.area_id, user.child_id)


def authenticate(
    ctx: Ctx, session: Session, username: str, password: str, *, client: str
) -> tuple[str, int]:
    """Check a username and password under the sign-in limits and the hashing cap, and issue
    a token (the API's and the pages' sign-in): the token and its lifetime in seconds.
    Raises UnauthorisedError, or an HTTP 429/503 with Retry-After."""
    limits = ctx.guards.limits
    limits.check_signin(username, client)  # before waiting for a hashing slot
    user = session.exec(select(User).where(User.username == username)).first()
    session.commit()  # end the read transaction: no database work while the hash runs
    with (
        limits.username_turn(username, ctx.settings.hash_wait_s),
        ctx.guards.hashing.slot(),
    ):
        limits.check_signin(username, client)  # again: attempts may have failed meanwhile
        ok = verify_password(password, user.password_hash if user else None)
        if user is None or not ok or user.disabled or user.id is None:
            limits.signin_failed(username, client)
            raise UnauthorisedError("wrong username or password")
    return issue_token(
        user.id,
        user.role,
        user.token_version,
        ctx.secret,
        ctx.settings.token_minutes,
        now=ctx.clock(),
    )


def me(who: Principal) -> Me:
    """The caller as the service knows them."""
    return Me(
        username=who.username,
        role=who.role,
        la_code=who.la_code,
        area_id=who.area_id,
        child_id=who.child_id,
    )


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
    chain.append(
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
        scope: dict[str, Any] = {
            "la_code": _family_la(session, area_id, child_id),
            "area_id": area_id,
            "child_id": child_id,
        }
    else:
        if la is None and not u.la_code:
            raise InvalidError(f"--la is needed: {username} has no LA")
        code = la_code_of(la) if la is not None else u.la_code
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
