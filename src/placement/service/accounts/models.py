"""The user table: people who sign in, their role and scope, and the token version that revokes
their tokens.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from placement.service.clock import utcnow

__all__ = ["User"]


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)  # officer, family, planner, setting
    la_code: str = Field(max_length=16)
    area_id: int | None = Field(default=None, foreign_key="area.id")  # family and setting
    child_id: str | None = Field(default=None, max_length=64)  # family only
    setting_id: str | None = Field(default=None, max_length=64)  # setting only
    disabled: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)
    # in every token (claim ``ver``); bumped by logout, disable, enable, password reset and
    # role change, so all earlier tokens stop working
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
