"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from konexi.models.catalogue import (
    Branch,
    Category,
    Company,
    CompanyPhone,
    Voucher,
    VoucherStatus,
    voucher_branches,
)
from konexi.models.claims import Claim, ClaimState, ClaimStatus
from konexi.models.exports import DataExport, ExportStatus
from konexi.models.linked_accounts import LinkedAccount
from konexi.models.media import Image
from konexi.models.messages import OutboxMessage, OutboxStatus
from konexi.models.offline_redemptions import OfflineRedemption
from konexi.models.preferences import user_favourite_categories
from konexi.models.profile_pictures import ProfilePicture
from konexi.models.providers import Invitation, Membership, Role, membership_branches
from konexi.models.redemptions import AccessChannel, AccessPurpose, CustomerDataAccess
from konexi.models.reviews import ReportReason, Review, ReviewReport, ReviewStatus
from konexi.models.sharing import Share
from konexi.models.stats import VoucherDailyStats
from konexi.models.suppressions import DigestLog, EmailSuppression
from konexi.models.users import User, UserStatus, VerificationCode

__all__ = [
    "AccessChannel",
    "AccessPurpose",
    "Branch",
    "Category",
    "Claim",
    "ClaimState",
    "ClaimStatus",
    "Company",
    "CompanyPhone",
    "CustomerDataAccess",
    "DataExport",
    "DigestLog",
    "EmailSuppression",
    "ExportStatus",
    "Image",
    "Invitation",
    "LinkedAccount",
    "Membership",
    "OfflineRedemption",
    "OutboxMessage",
    "OutboxStatus",
    "ProfilePicture",
    "ReportReason",
    "Review",
    "ReviewReport",
    "ReviewStatus",
    "Role",
    "Share",
    "User",
    "UserStatus",
    "VerificationCode",
    "Voucher",
    "VoucherDailyStats",
    "VoucherStatus",
    "membership_branches",
    "user_favourite_categories",
    "voucher_branches",
]
