"""The voucher feed at ``/``."""

from __future__ import annotations

from flask import request

from konexi.feed import bp
from konexi.htmx import render_page_or_fragment
from konexi.services import catalogue


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    page = request.args.get("page", default=1, type=int) or 1
    listing = catalogue.live_vouchers(page=max(page, 1))
    return render_page_or_fragment("feed/index.html", "feed/_items.html", listing=listing)
