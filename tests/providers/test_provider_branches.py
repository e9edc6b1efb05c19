"""Branches in the console: the phone needs its owner's consent, coordinates are checked,
deactivated branches leave the public side."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Branch
from konexi.models.base import utcnow
from konexi.services.providers.branches import (
    BranchError,
    normalise_branch_phone,
    parse_coordinates,
)
from tests.support.auth import log_in
from tests.support.console import branch_form
from tests.support.factories import fresh, make_voucher
from tests.support.team import make_world, post

HX = {"HX-Request": "true"}


def branch_named(name: str) -> Branch | None:
    db.session.expire_all()
    return db.session.scalar(select(Branch).where(Branch.name == name))


@pytest.fixture
def world(app, create_user):
    return make_world(create_user)


@pytest.fixture
def admin_client(client, world):
    log_in(client, world.users["admin"])
    return client


# -- create and edit -------------------------------------------------------------------------
def test_branch_is_created_and_listed(admin_client, world):
    response = post(admin_client, "/provider/branches/new", branch_form())

    branch = branch_named("Kopi Satu Cikini")
    assert response.status_code == 303
    assert response.headers["Location"] == "/provider/branches"
    assert branch.company_id == world.company.id and branch.is_active
    assert (branch.latitude, branch.longitude) == (-6.19, 106.839)
    assert branch.opening_hours == "Mon–Fri 08:00–20:00\nSat 09:00–22:00"
    assert branch.phone is None and branch.phone_consent_at is None
    page = admin_client.get("/provider/branches").get_data(as_text=True)
    assert "Kopi Satu Cikini" in page and "Jl. Cikini Raya No. 9, Jakarta" in page
    assert world.other_branch.name not in page


def test_a_phone_is_stored_only_with_its_owners_consent(admin_client, world):
    refused = post(admin_client, "/provider/branches/new", branch_form(phone="0812 3456 7890"))

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "agreed to show it to customers" in html
    assert 'value="0812 3456 7890"' in html and 'value="Kopi Satu Cikini"' in html
    assert branch_named("Kopi Satu Cikini") is None

    before = utcnow()
    accepted = post(
        admin_client,
        "/provider/branches/new",
        branch_form(phone="0812 3456 7890", phone_consent="y"),
    )

    branch = branch_named("Kopi Satu Cikini")
    assert accepted.status_code == 303
    assert branch.phone == "+6281234567890"
    assert branch.phone_consent_by_id == world.users["admin"].id
    assert before - timedelta(seconds=1) <= branch.phone_consent_at <= utcnow()
    assert branch.phone_consent_at.utcoffset() == timedelta(0)


def test_a_landline_is_a_fine_customer_service_number(admin_client):
    post(
        admin_client,
        "/provider/branches/new",
        branch_form(phone="(021) 5000-0001", phone_consent="y"),
    )

    assert branch_named("Kopi Satu Cikini").phone == "+622150000001"


def test_changing_the_phone_needs_consent_again_and_removing_it_clears_consent(
    app, admin_client, world
):
    url = f"/provider/branches/{world.branch.id}/edit"
    post(admin_client, url, branch_form(phone="081234567890", phone_consent="y"))
    first = fresh(Branch, world.branch.id)
    first_at = first.phone_consent_at

    # the same number (typed differently), no tick: the recorded consent stays
    same = post(admin_client, url, branch_form(phone="+62 812-3456-7890", name="Renamed"))
    kept = fresh(Branch, world.branch.id)
    assert same.status_code == 303
    assert (kept.name, kept.phone_consent_at) == ("Renamed", first_at)

    # a new number without a tick is refused, with a tick recorded for whoever ticked it
    owner = app.test_client()
    log_in(owner, world.users["owner"])
    changed = post(owner, url, branch_form(phone="081299998888"))
    assert changed.status_code == 422
    assert fresh(Branch, world.branch.id).phone == "+6281234567890"
    post(owner, url, branch_form(phone="081299998888", phone_consent="y"))
    again = fresh(Branch, world.branch.id)
    assert again.phone == "+6281299998888"
    assert again.phone_consent_by_id == world.users["owner"].id
    assert again.phone_consent_at > first_at

    # removing the number clears the record
    post(owner, url, branch_form(phone=""))
    cleared = fresh(Branch, world.branch.id)
    assert (cleared.phone, cleared.phone_consent_by_id, cleared.phone_consent_at) == (
        None,
        None,
        None,
    )


def test_edit_page_shows_who_recorded_the_consent(admin_client, world):
    url = f"/provider/branches/{world.branch.id}/edit"
    post(admin_client, url, branch_form(phone="081234567890", phone_consent="y"))

    html = admin_client.get(url).get_data(as_text=True)

    assert "Consent recorded by Bima Admin" in html
    assert 'value="-6.19"' in html and 'value="+6281234567890"' in html


@pytest.mark.parametrize(
    ("latitude", "longitude", "field", "message"),
    [
        ("-91", "106.8", "latitude", "Enter a latitude between -90 and 90"),
        ("-6.2", "180.5", "longitude", "Enter a longitude between -180 and 180"),
        ("abc", "106.8", "latitude", "Enter a latitude between -90 and 90"),
        ("-6.2", "", "longitude", "Enter both the latitude and the longitude, or neither."),
        ("nan", "106.8", "latitude", "Enter a latitude between -90 and 90"),
    ],
)
def test_coordinates_out_of_range_are_refused_next_to_the_field(
    admin_client, latitude, longitude, field, message
):
    response = post(
        admin_client,
        "/provider/branches/new",
        branch_form(latitude=latitude, longitude=longitude),
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="{field}-error">{message}' in html
    assert f'value="{latitude}"' in html
    assert branch_named("Kopi Satu Cikini") is None


def test_required_fields_are_explained_and_an_htmx_post_gets_the_form_only(admin_client):
    response = post(admin_client, "/provider/branches/new", {"name": " "}, headers=HX)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html and 'id="branch-form"' in html
    assert html.count("This is required.") == 3


def test_htmx_save_redirects_the_whole_page(admin_client):
    response = post(admin_client, "/provider/branches/new", branch_form(), headers=HX)

    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/provider/branches"


def test_coordinates_parse_as_people_type_them():
    assert parse_coordinates("-6,2146", "106,8227") == (-6.2146, 106.8227)
    assert parse_coordinates("-6.2146, 106.8227", "") == (-6.2146, 106.8227)  # pasted pair
    assert parse_coordinates("\u22126.2", "106.8") == (-6.2, 106.8)
    assert parse_coordinates("", "") == (None, None)
    assert parse_coordinates("90", "-180") == (90.0, -180.0)
    assert parse_coordinates("-6.12345678", "106.1") == (-6.123457, 106.1)
    for latitude, longitude in [("1e1", "2"), ("inf", "2"), ("-90.0001", "0"), ("0", "180.01")]:
        with pytest.raises(BranchError):
            parse_coordinates(latitude, longitude)


def test_branch_phone_accepts_mobiles_and_landlines_only(app):
    assert normalise_branch_phone("0812-3456-7890") == "+6281234567890"
    assert normalise_branch_phone("6221 5000 0001") == "+622150000001"
    for bad in ["12", "+6221999", "call me", "0" * 40]:
        with pytest.raises(BranchError):
            normalise_branch_phone(bad)


# -- deactivate and reactivate ---------------------------------------------------------------
def test_deactivated_branch_leaves_the_voucher_page_and_comes_back(app, admin_client, world):
    voucher = make_voucher(company=world.company)
    name = world.branch.name
    assert name in admin_client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)

    off = post(admin_client, f"/provider/branches/{world.branch.id}/deactivate")

    assert off.status_code == 303
    assert fresh(Branch, world.branch.id).is_active is False
    assert name not in app.test_client().get(f"/vouchers/{voucher.id}").get_data(as_text=True)
    listing = admin_client.get("/provider/branches").get_data(as_text=True)
    assert "Inactive" in listing and "Reactivate" in listing

    on = post(admin_client, f"/provider/branches/{world.branch.id}/reactivate")

    assert on.status_code == 303
    assert fresh(Branch, world.branch.id).is_active is True
    assert name in app.test_client().get(f"/vouchers/{voucher.id}").get_data(as_text=True)


def test_branch_form_offers_the_device_location_through_the_console_script(admin_client):
    html = admin_client.get("/provider/branches/new").get_data(as_text=True)

    assert "data-locate-branch" in html
    assert "/static/provider.js?v=" in html
    assert "<script>" not in html and "style=" not in html
