"""Voucher pages, claiming, and the user's own vouchers (``/me/vouchers``)."""

from flask import Blueprint

from konexi.services.claims.redemption_codes import format_code

bp = Blueprint("vouchers", __name__)
bp.add_app_template_filter(format_code, "claim_code")

from konexi.vouchers import my_vouchers, routes  # noqa: E402,F401
