"""What every service function may need besides the session and the caller: the settings,
the database engine, the signing secret, the engine cache, the job runner, the clock and the
operational parts (read auditing, the audit anchor, rate limits). One per app, made by the
app factory; no web framework here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from placement.service.clock import utcnow
from placement.service.engine import CoreCache
from placement.service.guards import Guards
from placement.service.jobs import Jobs
from placement.service.ops import Ops
from placement.service.settings import Settings

__all__ = ["Ctx"]


@dataclass(eq=False)
class Ctx:
    settings: Settings
    engine: Engine
    secret: str
    cache: CoreCache
    jobs: Jobs
    clock: Callable[[], dt.datetime] = utcnow  # token issue and expiry (tests move it)
    ops: Ops | None = None  # read auditing and the audit anchor (placement.service.ops)
    guards: Guards = field(init=False)  # rate limits and the password-hashing cap

    def __post_init__(self) -> None:
        self.guards = Guards(self.settings)
