"""The status enums, as template globals: templates compare with ``VoucherStatus.LIVE``, never
with a bare string that would silently stop matching if a value changed."""

from __future__ import annotations

from flask import Flask

from konexi.models import ClaimState, ExportStatus, OutboxStatus, ReviewStatus, Role, VoucherStatus
from konexi.services.providers.invitations import InvitationProblem
from konexi.services.providers.provider_voucher_list import VoucherListState
from konexi.services.sharing.sharing import Availability

TEMPLATE_ENUMS = (
    Availability,
    ClaimState,
    ExportStatus,
    InvitationProblem,
    OutboxStatus,
    ReviewStatus,
    Role,
    VoucherListState,
    VoucherStatus,
)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update({enum.__name__: enum for enum in TEMPLATE_ENUMS})
