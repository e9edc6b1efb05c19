"""Categories can be deactivated; data exports carry a build lease and an attempt count.

Revision ID: 20261204ops01
Revises: f78e441510f1
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "20261204ops01"
down_revision = "f78e441510f1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("categories") as batch_op:
        batch_op.add_column(
            sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("data_exports") as batch_op:
        batch_op.add_column(
            sa.Column("build_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("data_exports") as batch_op:
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("build_attempts")
    with op.batch_alter_table("categories") as batch_op:
        batch_op.drop_column("is_active")
