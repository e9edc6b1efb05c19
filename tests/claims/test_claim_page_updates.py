"""After a claim the voucher page tells the truth: the count left goes down (htmx swaps it out of
band; without JavaScript the page is rendered again), and a person who holds as many as one may is
told "You have this voucher" with the way to the code, not a limit that reads as an error."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from konexi.services.claims.claims import claim_voucher
from tests.support.auth import log_in
from tests.support.claims import post_claim
from tests.support.factories import make_voucher


def _remaining(html: str) -> str:
    found = re.search(r'<span id="voucher-remaining"([^>]*)>([^<]*)</span>', html)
    assert found, "no remaining count in the answer"
    return found.group(1).strip() + "|" + found.group(2)


def test_an_htmx_claim_updates_the_count_out_of_band(
    app: Flask, client: FlaskClient, create_user
) -> None:
    log_in(client, create_user())
    voucher = make_voucher(quota_total=100)
    assert _remaining(client.get(f"/vouchers/{voucher.id}").text) == "|100 of 100 left"

    answer = post_claim(client, voucher.id, htmx=True)

    assert answer.status_code == 200
    assert "Claimed! Your code:" in answer.text
    assert _remaining(answer.text) == 'hx-swap-oob="true"|99 of 100 left'


def test_without_javascript_the_voucher_page_shows_the_new_count_and_the_code(
    app: Flask, client: FlaskClient, create_user
) -> None:
    log_in(client, create_user())
    voucher = make_voucher(quota_total=100)

    claimed = post_claim(client, voucher.id)
    page = client.get(f"/vouchers/{voucher.id}").text

    assert claimed.status_code == 303
    assert _remaining(page) == "|99 of 100 left"
    assert "You have this voucher." in page
    assert f'href="{claimed.headers["Location"]}">Show my code</a>' in page
    assert "reached the limit" not in page


def test_a_refused_htmx_claim_shows_my_code_and_the_true_count(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user()
    log_in(client, user)
    voucher = make_voucher(quota_total=10)
    claim = claim_voucher(user.id, voucher.id).claim
    assert claim is not None

    again = post_claim(client, voucher.id, htmx=True)

    assert "You have this voucher." in again.text
    assert f'href="/me/vouchers/{claim.id}"' in again.text
    assert _remaining(again.text) == 'hx-swap-oob="true"|9 of 10 left'


def test_the_voucher_page_says_you_have_it_in_indonesian(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user()
    voucher = make_voucher()
    claim_voucher(user.id, voucher.id)
    log_in(client, user)

    page = client.get(f"/vouchers/{voucher.id}?lang=id").text

    assert "Anda sudah memiliki voucher ini." in page
    assert "Tampilkan kode saya" in page
