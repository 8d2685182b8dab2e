"""Sign-in (OAuth2 password flow), the caller, and liveness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from sqlmodel import select

from placement.service.deps import CtxDep, PrincipalDep, SessionDep
from placement.service.errors import UnauthorisedError
from placement.service.models import User
from placement.service.schemas import Me, Token
from placement.service.security import issue_token, verify_password

router = APIRouter()


@router.get("/health", tags=["service"])
def health(session: SessionDep) -> dict[str, str]:
    """Liveness: the process answers and the database can be read."""
    session.exec(select(User.id).limit(1)).first()
    return {"status": "ok"}


@router.post("/auth/token", tags=["auth"])
def token(
    ctx: CtxDep,
    session: SessionDep,
    username: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> Token:
    """Exchange a username and password for a bearer token (OAuth2 password flow)."""
    user = session.exec(select(User).where(User.username == username)).first()
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or user.disabled or user.id is None:
        raise UnauthorisedError("wrong username or password")
    tok, seconds = issue_token(user.id, user.role, ctx.secret, ctx.settings.token_minutes)
    return Token(access_token=tok, expires_in=seconds)


@router.get("/me", tags=["auth"])
def me(who: PrincipalDep) -> Me:
    return Me(
        username=who.username,
        role=who.role,
        la_code=who.la_code,
        area_id=who.area_id,
        child_id=who.child_id,
    )
