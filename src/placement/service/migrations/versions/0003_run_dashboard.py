"""The area dashboard of each allocation run, made when the run succeeds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("allocation_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dashboard", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("allocation_run", schema=None) as batch_op:
        batch_op.drop_column("dashboard")
