"""The provider console under /provider/: a company's team manages and redeems here."""

from flask import Blueprint

bp = Blueprint("provider", __name__, url_prefix="/provider")

import konexi.provider.branch_phones  # noqa: E402,F401
import konexi.provider.redeem  # noqa: E402,F401
import konexi.provider.redeem_offline  # noqa: E402,F401
import konexi.provider.reviews  # noqa: E402,F401
import konexi.provider.vouchers  # noqa: E402,F401
from konexi.provider import access, branches, company, invitations, routes, team  # noqa: E402,F401
