"""Every table of the service, from the features that own them: imported by the migrations
(Alembic's metadata) and by whatever needs the whole schema. Each table lives in its
feature's ``models`` module; nothing inherits from a table model."""

from __future__ import annotations

from placement.service.accounts.models import User
from placement.service.appeals.models import AppealRow
from placement.service.areas.models import AreaRow, PoolRow, SettingRow
from placement.service.audit.models import AuditEvent, AuditHead
from placement.service.children.models import ChildRow
from placement.service.decisions.models import DecisionRow
from placement.service.placements.models import IdempotencyRecord, PlacementRow
from placement.service.policies.models import PolicyRow
from placement.service.requests.models import RequestRow
from placement.service.rounds.models import RoundRow
from placement.service.runs.models import RunRow
from placement.service.scenarios.models import ScenarioRunRow

__all__ = ["TABLES"]

TABLES = (
    User,
    AreaRow,
    SettingRow,
    PoolRow,
    ChildRow,
    PolicyRow,
    RunRow,
    ScenarioRunRow,
    PlacementRow,
    IdempotencyRecord,
    AuditEvent,
    AuditHead,
    RequestRow,
    DecisionRow,
    AppealRow,
    RoundRow,
)
