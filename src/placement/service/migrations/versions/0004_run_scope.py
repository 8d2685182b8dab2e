"""Who each allocation run places: the children moving this round, or (a planner's study)
the whole caseload as if from scratch.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("allocation_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=16), nullable=False, server_default="moving")
        )


def downgrade() -> None:
    with op.batch_alter_table("allocation_run", schema=None) as batch_op:
        batch_op.drop_column("scope")
