"""offline redemptions: what counters saved while offline and sent later, one row per nonce

Revision ID: 20261204_offline
Revises: 20261204_find
Create Date: 2026-12-04 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261204_offline"
down_revision = "20261204_find"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offline_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("is_conflict", sa.Boolean(), nullable=False),
        sa.Column("counted_staff_user_id", sa.Integer(), nullable=True),
        sa.Column("device_redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branches.id"],
            name="fk_offline_redemptions_branch_id_branches",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name="fk_offline_redemptions_claim_id_claims",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_offline_redemptions_company_id_companies"
        ),
        sa.ForeignKeyConstraint(
            ["counted_staff_user_id"],
            ["users.id"],
            name="fk_offline_redemptions_counted_staff_user_id_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["users.id"],
            name="fk_offline_redemptions_staff_user_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_offline_redemptions"),
        sa.UniqueConstraint("nonce", name="uq_offline_redemptions_nonce"),
    )
    with op.batch_alter_table("offline_redemptions") as batch_op:
        batch_op.create_index(
            "ix_offline_redemptions_company_conflict", ["company_id", "is_conflict"]
        )
        batch_op.create_index("ix_offline_redemptions_staff_user_id", ["staff_user_id"])
        batch_op.create_index(
            "ix_offline_redemptions_counted_staff_user_id", ["counted_staff_user_id"]
        )


def downgrade() -> None:
    op.drop_table("offline_redemptions")
