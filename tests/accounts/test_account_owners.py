"""A company always keeps an owner: its only owner cannot close or delete their account."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from konexi.models import User
from tests.support.app import TEST_PASSWORD, post_page_form
from tests.support.auth import log_in
from tests.support.factories import fresh, make_company, make_member


def _owner_of_a_company(create_user, client: FlaskClient):
    owner = create_user(name="Agus Pemilik")
    company = make_company()
    make_member(company, owner, "owner")
    log_in(client, owner)
    return owner, company


@pytest.mark.parametrize("action", ["close", "delete"])
def test_a_companys_only_owner_is_asked_to_hand_it_over_first(
    app: Flask, client: FlaskClient, create_user, action: str
) -> None:
    owner, company = _owner_of_a_company(create_user, client)
    make_member(company, create_user(name="Wati Admin"), "admin")

    response = post_page_form(client, f"/account/{action}", password=TEST_PASSWORD)

    assert response.status_code == 409
    assert f"You are the only owner of {company.name}" in response.text
    assert 'href="/provider/team"' in response.text
    assert fresh(User, owner.id).status == "active"


def test_the_owner_notice_shows_before_posting_and_in_indonesian(
    app: Flask, client: FlaskClient, create_user
) -> None:
    _owner, company = _owner_of_a_company(create_user, client)

    page = client.get("/account/delete?lang=id")

    assert page.status_code == 200
    assert f"Anda satu-satunya pemilik {company.name}" in page.text
    assert "Buka halaman tim" in page.text


def test_an_owner_who_shares_ownership_can_delete(
    app: Flask, client: FlaskClient, create_user
) -> None:
    owner, company = _owner_of_a_company(create_user, client)
    make_member(company, create_user(name="Rina Pemilik"), "owner")
    # Owning a closed company alone is no obstacle either: nothing of it is public.
    make_member(make_company(active=False), owner, "owner")

    response = post_page_form(client, "/account/delete", password=TEST_PASSWORD)

    assert response.status_code == 303
    assert fresh(User, owner.id).status == "deleting"


def test_a_wrong_password_is_said_before_anything_about_companies(
    app: Flask, client: FlaskClient, create_user
) -> None:
    _owner_of_a_company(create_user, client)

    response = post_page_form(client, "/account/close", password="not my password")

    assert response.status_code == 200
    assert "Your password is wrong." in response.text
