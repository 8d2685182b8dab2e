"""Guard rails on confirmation: the eligibility rules an officer overrode (named, with the
reason) are kept on the placement, and the recommendation shown when deciding.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("override_rules", sa.String(length=400), nullable=True))
        batch_op.add_column(
            sa.Column("recommended_setting_id", sa.String(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_column("recommended_setting_id")
        batch_op.drop_column("override_rules")
