"""integrity: outbox rows name their subject, review reports keep a network hash, branch
phones are proven and one number serves one company

Revision ID: 20261204_integrity
Revises: 20261204ops01
Create Date: 2026-12-04 12:00:00

Existing branch phones are left unproven on purpose: nothing shows who holds them, and two
companies may have typed the same number. Their companies prove them from the console.
"""

import sqlalchemy as sa
from alembic import op


revision = "20261204_integrity"
down_revision = "20261204ops01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("named_user_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_outbox_messages_named_user_id", ["named_user_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_outbox_messages_named_user_id_users",
            "users",
            ["named_user_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("review_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("network_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("branches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "company_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name="fk_company_phones_company_id_companies",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["users.id"],
            name="fk_company_phones_verified_by_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_company_phones"),
        sa.UniqueConstraint("phone", name="uq_company_phones_phone"),
    )
    with op.batch_alter_table("company_phones", schema=None) as batch_op:
        batch_op.create_index("ix_company_phones_company_id", ["company_id"], unique=False)
        batch_op.create_index("ix_company_phones_verified_by_id", ["verified_by_id"], unique=False)


def downgrade():
    op.drop_table("company_phones")
    with op.batch_alter_table("branches", schema=None) as batch_op:
        batch_op.drop_column("phone_verified_at")
    with op.batch_alter_table("review_reports", schema=None) as batch_op:
        batch_op.drop_column("network_hash")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outbox_messages_named_user_id_users", type_="foreignkey")
        batch_op.drop_index("ix_outbox_messages_named_user_id")
        batch_op.drop_column("named_user_id")
