"""Public profile handles; shares land in a findable friend's inbox; share hashes can expire.

Revision ID: 20261204_find
Revises: 778a012123a7
Create Date: 2026-12-04
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "20261204_find"
down_revision = "778a012123a7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild): SQLite cannot copy the users table's generated
    # email_key column in a batch rebuild.
    op.add_column("users", sa.Column("public_id", sa.String(16), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("public_id", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(
            users.update().where(users.c.id == user_id).values(public_id=secrets.token_urlsafe(9))
        )
    op.create_index("ix_users_public_id", "users", ["public_id"], unique=True)
    with op.batch_alter_table("shares") as batch_op:
        batch_op.alter_column("recipient_hash", existing_type=sa.String(64), nullable=True)
        batch_op.add_column(sa.Column("recipient_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("recipient_dismissed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_shares_recipient_user_id_users",
            "users",
            ["recipient_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_shares_recipient_user_id", ["recipient_user_id"])


def downgrade() -> None:
    with op.batch_alter_table("shares") as batch_op:
        batch_op.drop_index("ix_shares_recipient_user_id")
        batch_op.drop_constraint("fk_shares_recipient_user_id_users", type_="foreignkey")
        batch_op.drop_column("recipient_dismissed_at")
        batch_op.drop_column("recipient_user_id")
    # Expired hashes cannot come back: those rows only counted towards past limits.
    op.execute("DELETE FROM shares WHERE recipient_hash IS NULL")
    with op.batch_alter_table("shares") as batch_op:
        batch_op.alter_column("recipient_hash", existing_type=sa.String(64), nullable=False)
    op.drop_index("ix_users_public_id", table_name="users")
    op.drop_column("users", "public_id")
