"""Gifts (a claim given to a friend), re-gift setting on vouchers, withdrawn shares, gift counts.

Revision ID: 20261204_gift
Revises: 20261204_postgis
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "20261204_gift"
down_revision = "20261204_postgis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gifts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("voucher_id", sa.Integer(), sa.ForeignKey("vouchers.id"), nullable=False),
        sa.Column("sender_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("recipient_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient_hash", sa.String(64), nullable=False),
        sa.Column("ip_hash", sa.String(64)),
        sa.Column(
            "outbox_message_id",
            sa.Integer(),
            sa.ForeignKey("outbox_messages.id", ondelete="SET NULL"),
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
        sa.Column("new_claim_id", sa.Integer(), sa.ForeignKey("claims.id")),
        sa.UniqueConstraint("token_hash", name="uq_gifts_token_hash"),
    )
    op.create_index("ix_gifts_sender_created", "gifts", ["sender_id", "created_at"])
    op.create_index("ix_gifts_status_expires", "gifts", ["status", "expires_at"])
    op.create_index("ix_gifts_claim_status", "gifts", ["claim_id", "status"])
    op.create_index("ix_gifts_voucher_id", "gifts", ["voucher_id"])
    op.create_index("ix_gifts_recipient_id", "gifts", ["recipient_id"])
    with op.batch_alter_table("claims") as batch_op:
        batch_op.add_column(sa.Column("gifted_from_id", sa.Integer()))
        batch_op.create_foreign_key(
            "fk_claims_gifted_from_id_claims", "claims", ["gifted_from_id"], ["id"]
        )
    with op.batch_alter_table("vouchers") as batch_op:
        batch_op.add_column(
            sa.Column("allow_regift", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("shares") as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("voucher_daily_stats") as batch_op:
        batch_op.add_column(sa.Column("gifts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("voucher_daily_stats") as batch_op:
        batch_op.drop_column("gifts")
    with op.batch_alter_table("shares") as batch_op:
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("vouchers") as batch_op:
        batch_op.drop_column("allow_regift")
    with op.batch_alter_table("claims") as batch_op:
        batch_op.drop_constraint("fk_claims_gifted_from_id_claims", type_="foreignkey")
        batch_op.drop_column("gifted_from_id")
    op.drop_table("gifts")
