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
