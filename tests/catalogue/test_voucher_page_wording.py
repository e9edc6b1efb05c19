"""The voucher page's remaining count reads as one phrase under its label in both languages."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.support.factories import make_voucher


@pytest.mark.parametrize(
    ("lang", "label", "count"),
    [("en", "Remaining", "7 of 10 left"), ("id", "Sisa", "7 dari 10")],
)
def test_remaining_count_does_not_repeat_its_label(
    client: FlaskClient, lang: str, label: str, count: str
) -> None:
    voucher = make_voucher(quota_total=10, quota_claimed=3)
    html = client.get(f"/vouchers/{voucher.id}?lang={lang}").get_data(as_text=True)
    shown = re.search(r"<dt>([^<]+)</dt>\s*<dd><span id=\"voucher-remaining\">([^<]+)</span>", html)
    assert shown is not None
    assert shown.groups() == (label, count)


def test_branch_phones_read_like_the_rest_of_the_app(client: FlaskClient) -> None:
    """Branch numbers are grouped as the customer's own number is, on the voucher page and on
    the provider's page; the tel: link keeps the E.164 form."""
    voucher = make_voucher()
    for page in (f"/vouchers/{voucher.id}", f"/providers/{voucher.company.slug}"):
        html = client.get(page).get_data(as_text=True)
        assert '<a href="tel:+622131900001">Call +62 21 31900001</a>' in html, page
