"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from konexi.models.catalogue import Branch, Category, Company, Voucher, voucher_branches
from konexi.models.messages import OutboxMessage
from konexi.models.users import User, VerificationCode

__all__ = [
    "Branch",
    "Category",
    "Company",
    "OutboxMessage",
    "User",
    "VerificationCode",
    "Voucher",
    "voucher_branches",
]
