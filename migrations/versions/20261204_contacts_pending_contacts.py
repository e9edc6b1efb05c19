"""Contacts: email and phone may be detached (nullable); pending new email and phone.

Revision ID: 778a012123a7
Revises: 20261204_integrity
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "778a012123a7"
down_revision = "20261204_integrity"
branch_labels = None
depends_on = None


_EMAIL_KEY = sa.Computed("lower(email)", persisted=True)
_PENDING = ("pending_email", "pending_phone")


def _pending_columns() -> list[sa.Column]:
    return [
        sa.Column("pending_email", sa.String(254), nullable=True),
        sa.Column("pending_phone", sa.String(20), nullable=True),
    ]


def _postgresql(nullable: bool) -> None:
    with op.batch_alter_table("users") as batch_op:
        for column in _pending_columns() if nullable else ():
            batch_op.add_column(column)
        for name in () if nullable else _PENDING:
            batch_op.drop_column(name)
        batch_op.alter_column("email", existing_type=sa.String(254), nullable=nullable)
        batch_op.alter_column(
            "email_key", existing_type=sa.String(254), existing_computed=_EMAIL_KEY,
            nullable=nullable,
        )
        batch_op.alter_column("phone", existing_type=sa.String(20), nullable=nullable)


def _sqlite(nullable: bool) -> None:
    # SQLite rebuilds the table and cannot copy a value into a generated column: the first
    # rebuild goes without email_key, the second adds it back (computed from email), last so
    # that later rebuilds reflect it well. The autoincrement (a purged account's id never
    # comes back) is declared again each time.
    kwargs = {"table_kwargs": {"sqlite_autoincrement": True}}
    bind = op.get_bind()
    # The copy restarts the id sequence at the highest id left; keep the old one.
    sequence = bind.exec_driver_sql(
        "SELECT seq FROM sqlite_sequence WHERE name = 'users'"
    ).scalar()
    with op.batch_alter_table("users", **kwargs) as batch_op:
        batch_op.drop_constraint("uq_users_email_key", type_="unique")
        batch_op.drop_column("email_key")
        for name in () if nullable else _PENDING:
            batch_op.drop_column(name)
        batch_op.alter_column("email", existing_type=sa.String(254), nullable=nullable)
        batch_op.alter_column("phone", existing_type=sa.String(20), nullable=nullable)
    with op.batch_alter_table("users", **kwargs) as batch_op:
        for column in _pending_columns() if nullable else ():
            batch_op.add_column(column)
        batch_op.add_column(sa.Column("email_key", sa.String(254), _EMAIL_KEY, nullable=nullable))
        batch_op.create_unique_constraint("uq_users_email_key", ["email_key"])
    if sequence is not None:
        bind.exec_driver_sql(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'users'", (sequence,)
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite(nullable=True)
    else:
        _postgresql(nullable=True)


def downgrade() -> None:
    # Accounts that lost a contact cannot go back to a schema that requires both.
    op.execute("DELETE FROM users WHERE email IS NULL OR phone IS NULL")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite(nullable=False)
    else:
        _postgresql(nullable=False)
