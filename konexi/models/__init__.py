"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from konexi.models.catalogue import (
    Branch,
    Category,
    Company,
    CompanyPhone,
    Voucher,
    voucher_branches,
)
from konexi.models.claims import Claim
from konexi.models.exports import DataExport
from konexi.models.linked_accounts import LinkedAccount
from konexi.models.media import Image
from konexi.models.messages import OutboxMessage
from konexi.models.offline_redemptions import OfflineRedemption
from konexi.models.preferences import user_favourite_categories
from konexi.models.profile_pictures import ProfilePicture
from konexi.models.providers import Invitation, Membership, membership_branches
from konexi.models.redemptions import CustomerDataAccess
from konexi.models.reviews import Review, ReviewReport
from konexi.models.sharing import Share
from konexi.models.stats import VoucherDailyStats
from konexi.models.suppressions import DigestLog, EmailSuppression
from konexi.models.users import User, VerificationCode

__all__ = [
    "Branch",
    "Category",
    "Claim",
    "Company",
    "CompanyPhone",
    "CustomerDataAccess",
    "DataExport",
    "DigestLog",
    "EmailSuppression",
    "Image",
    "LinkedAccount",
    "Invitation",
    "Membership",
    "OfflineRedemption",
    "OutboxMessage",
    "ProfilePicture",
    "Review",
    "ReviewReport",
    "Share",
    "User",
    "VerificationCode",
    "Voucher",
    "VoucherDailyStats",
    "membership_branches",
    "user_favourite_categories",
    "voucher_branches",
]
