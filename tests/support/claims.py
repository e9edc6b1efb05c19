"""Claiming a voucher as a browser does (no tests here)."""

from __future__ import annotations

from tests.support.app import csrf_token_from

HX = {"HX-Request": "true"}


def post_claim(client, voucher_id: int, htmx: bool = False, token: str | None = None):
    """POST the claim form with the voucher page's CSRF token (or ``token``)."""
    if token is None:
        token = csrf_token_from(client.get(f"/vouchers/{voucher_id}").get_data(as_text=True))
    headers = HX if htmx else {}
    return client.post(f"/vouchers/{voucher_id}/claim", data={"csrf_token": token}, headers=headers)
