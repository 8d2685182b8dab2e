"""The case record (issue 20): requests as rows, decisions as immutable records with their
letters' hashes, appeals, rounds with their working run, settings' users and replies, and the
child's case dates and synthetic first name. Existing preferences become open requests and
existing children get their first names.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 01:30:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_GUARD = "decisions are records: they cannot be changed or removed"


def upgrade() -> None:
    _new_tables()
    with op.batch_alter_table("child", schema=None) as b:
        b.add_column(sa.Column("first_name", sa.String(40), nullable=False, server_default=""))
        b.add_column(sa.Column("assessment_requested_on", sa.Date(), nullable=True))
        b.add_column(sa.Column("draft_issued_on", sa.Date(), nullable=True))
        b.add_column(sa.Column("plan_issued_on", sa.Date(), nullable=True))
        b.add_column(sa.Column("last_review_on", sa.Date(), nullable=True))
    with op.batch_alter_table("app_user", schema=None) as b:
        b.add_column(sa.Column("setting_id", sa.String(64), nullable=True))
    with op.batch_alter_table("allocation_run", schema=None) as b:
        b.add_column(sa.Column("working", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("placement", schema=None) as b:
        b.add_column(sa.Column("setting_ground", sa.String(40), nullable=True))
        b.add_column(sa.Column("setting_replied_by", sa.String(64), nullable=True))
    _decisions_immutable()
    _backfill()


def _new_tables() -> None:
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("area.id"), nullable=False),
        sa.Column("child_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("round_number", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), sa.ForeignKey("placement.id"), nullable=True),
        sa.Column("setting_id", sa.String(64), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("letter", sa.Text(), nullable=False),
        sa.Column("letter_sha256", sa.String(64), nullable=False),
    )
    op.create_index("ix_decision_area_id", "decision", ["area_id"])
    op.create_index("ix_decision_child_id", "decision", ["child_id"])
    op.create_table(
        "family_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("area.id"), nullable=False),
        sa.Column("child_id", sa.String(64), nullable=False),
        sa.Column("setting_id", sa.String(64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.String(64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decision.id"), nullable=True),
    )
    op.create_index("ix_family_request_area_id", "family_request", ["area_id"])
    op.create_index("ix_family_request_child_id", "family_request", ["child_id"])
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("area.id"), nullable=False),
        sa.Column("child_id", sa.String(64), nullable=False),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decision.id"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("hearing_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("ordered_setting_id", sa.String(64), nullable=True),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_appeal_area_id", "appeal", ["area_id"])
    op.create_index("ix_appeal_child_id", "appeal", ["child_id"])
    op.create_table(
        "placement_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("area.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "working_run_id", sa.Integer(), sa.ForeignKey("allocation_run.id"), nullable=True
        ),
        sa.UniqueConstraint("area_id", "number"),
    )
    op.create_index("ix_placement_round_area_id", "placement_round", ["area_id"])


def _decisions_immutable() -> None:
    """Refuse UPDATE and DELETE on decision (and TRUNCATE on PostgreSQL), as on audit_event."""
    if op.get_bind().dialect.name == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER decision_no_{what.lower()} BEFORE {what} ON decision "
                f"BEGIN SELECT RAISE(ABORT, '{_GUARD}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION decision_immutable() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_GUARD}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER decision_no_change BEFORE UPDATE OR DELETE ON decision "
        "FOR EACH ROW EXECUTE FUNCTION decision_immutable()"
    )
    op.execute(
        "CREATE TRIGGER decision_no_truncate BEFORE TRUNCATE ON decision "
        "FOR EACH STATEMENT EXECUTE FUNCTION decision_immutable()"
    )


def _backfill() -> None:
    """Each stored preference becomes an open request; each child gets its first name."""
    from placement.generate.names import first_name

    bind = op.get_bind()
    now = sa.func.now() if bind.dialect.name != "sqlite" else sa.text("CURRENT_TIMESTAMP")
    child = sa.table(
        "child",
        sa.column("id", sa.Integer),
        sa.column("area_id", sa.Integer),
        sa.column("child_id", sa.String),
        sa.column("data", sa.Text),
        sa.column("first_name", sa.String),
    )
    request = sa.table(
        "family_request",
        sa.column("area_id", sa.Integer),
        sa.column("child_id", sa.String),
        sa.column("setting_id", sa.String),
        sa.column("rank", sa.Integer),
        sa.column("status", sa.String),
        sa.column("made_at", sa.DateTime),
        sa.column("made_by", sa.String),
    )
    rows = bind.execute(sa.select(child.c.id, child.c.area_id, child.c.child_id, child.c.data))
    for cid, area_id, child_id, data in rows.fetchall():
        d = json.loads(data)
        bind.execute(
            child.update()
            .where(child.c.id == cid)
            .values(first_name=first_name(child_id, str(d.get("sex", ""))))
        )
        for rank, sid in enumerate(d.get("preferences", []), start=1):
            bind.execute(
                request.insert().values(
                    area_id=area_id,
                    child_id=child_id,
                    setting_id=sid,
                    rank=rank,
                    status="open",
                    made_at=now,
                    made_by="import",
                )
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS decision_no_update")
        op.execute("DROP TRIGGER IF EXISTS decision_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS decision_no_change ON decision")
        op.execute("DROP TRIGGER IF EXISTS decision_no_truncate ON decision")
        op.execute("DROP FUNCTION IF EXISTS decision_immutable()")
    with op.batch_alter_table("allocation_run", schema=None) as b:
        b.drop_column("working")
    with op.batch_alter_table("placement", schema=None) as b:
        b.drop_column("setting_replied_by")
        b.drop_column("setting_ground")
    with op.batch_alter_table("app_user", schema=None) as b:
        b.drop_column("setting_id")
    with op.batch_alter_table("child", schema=None) as b:
        for c in (
            "last_review_on", "plan_issued_on", "draft_issued_on",
            "assessment_requested_on", "first_name",
        ):  # fmt: skip
            b.drop_column(c)
    for t in ("placement_round", "appeal", "family_request", "decision"):
        op.drop_table(t)
