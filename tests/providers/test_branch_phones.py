"""Branch phones are proven by a code texted to them, and one number serves one company."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from konexi.extensions import db
from konexi.models import Branch, CompanyPhone
from konexi.services.accounts.contacts import display_phone
from tests.support.auth import log_in
from tests.support.console import branch_form
from tests.support.factories import fresh
from tests.support.team import make_world, post

NUMBER = "+6281355500011"
TYPED = "0813 5550 0011"


@pytest.fixture
def world(app, create_user):
    return make_world(create_user)


def _enter_number(client, branch: Branch):
    return post(
        client,
        f"/provider/branches/{branch.id}/edit",
        branch_form(name=branch.name, phone=TYPED, phone_consent="y"),
    )


def _texted_code(twilio) -> str:
    body = twilio.to(NUMBER)[-1].body
    return re.search(r"\b(\d{6})\b", body).group(1)


def _prove(client, branch: Branch, twilio):
    sent = post(client, f"/provider/branches/{branch.id}/phone/code")
    assert sent.status_code == 303, sent.get_data(as_text=True)
    return post(client, f"/provider/branches/{branch.id}/phone", {"code": _texted_code(twilio)})


def test_a_branch_phone_is_proven_by_the_code_texted_to_it(client, world, twilio):
    admin = world.users["admin"]
    log_in(client, admin)
    public_page = f"/providers/{world.company.slug}"

    saved = _enter_number(client, world.branch)
    unproven_page = client.get(public_page).get_data(as_text=True)
    form = client.get(f"/provider/branches/{world.branch.id}/phone").get_data(as_text=True)
    sent = post(client, f"/provider/branches/{world.branch.id}/phone/code")
    code = _texted_code(twilio)
    wrong = post(
        client,
        f"/provider/branches/{world.branch.id}/phone",
        {"code": f"{(int(code) + 1) % 1_000_000:06d}"},
    )
    right = post(client, f"/provider/branches/{world.branch.id}/phone", {"code": code})

    assert saved.headers["Location"] == f"/provider/branches/{world.branch.id}/phone"
    assert display_phone(NUMBER) not in unproven_page
    assert "Send a code to this number" in form and 'name="code"' in form
    assert sent.status_code == 303
    assert world.company.name in twilio.to(NUMBER)[-1].body
    assert wrong.status_code == 422
    assert "That code is not right." in wrong.get_data(as_text=True)
    assert right.status_code == 303 and right.headers["Location"] == "/provider/branches"
    branch = fresh(Branch, world.branch.id)
    assert branch.phone_verified_at is not None
    assert branch.phone_consent_by_id == admin.id  # the consent is still recorded
    holder = db.session.scalar(select(CompanyPhone).where(CompanyPhone.phone == NUMBER))
    assert (holder.company_id, holder.verified_by_id) == (world.company.id, admin.id)
    assert display_phone(NUMBER) in client.get(public_page).get_data(as_text=True)


def test_another_company_cannot_enter_a_number_already_proven(client, world, twilio):
    log_in(client, world.users["admin"])
    _enter_number(client, world.branch)
    _prove(client, world.branch, twilio)
    log_in(client, world.users["other_admin"])
    client.get("/provider/branches?lang=id")

    refused = _enter_number(client, world.other_branch)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Nomor ini sudah dipakai perusahaan lain di Konexi." in html
    assert fresh(Branch, world.other_branch.id).phone != NUMBER


def test_when_two_companies_typed_one_number_the_first_to_prove_it_holds_it(client, world, twilio):
    log_in(client, world.users["other_admin"])
    _enter_number(client, world.other_branch)  # company B types company A's number
    post(client, f"/provider/branches/{world.other_branch.id}/phone/code")
    code_for_b = _texted_code(twilio)  # suppose B got hold of it somehow
    log_in(client, world.users["admin"])
    _enter_number(client, world.branch)
    assert _prove(client, world.branch, twilio).status_code == 303
    log_in(client, world.users["other_admin"])

    late = post(client, f"/provider/branches/{world.other_branch.id}/phone", {"code": code_for_b})
    again = post(client, f"/provider/branches/{world.other_branch.id}/phone/code")

    assert late.status_code == again.status_code == 422
    assert "already serves another company" in late.get_data(as_text=True)
    assert fresh(Branch, world.other_branch.id).phone_verified_at is None
    assert fresh(Branch, world.branch.id).phone_verified_at is not None


def test_a_number_its_company_no_longer_uses_can_be_proven_by_another(client, world, twilio):
    """A shop that changes hands keeps its number, and prepaid numbers are recycled: once the
    company that proved a number gives it up, the next company can prove it."""
    log_in(client, world.users["admin"])
    _enter_number(client, world.branch)
    _prove(client, world.branch, twilio)
    post(
        client,
        f"/provider/branches/{world.branch.id}/edit",
        branch_form(name=world.branch.name, phone="0813 5550 0099", phone_consent="y"),
    )
    log_in(client, world.users["other_admin"])

    entered = _enter_number(client, world.other_branch)
    proven = _prove(client, world.other_branch, twilio)

    assert entered.status_code == 303, entered.get_data(as_text=True)
    assert proven.status_code == 303, proven.get_data(as_text=True)
    assert fresh(Branch, world.other_branch.id).phone_verified_at is not None
    holders = db.session.scalars(
        select(CompanyPhone.company_id).where(CompanyPhone.phone == NUMBER)
    )
    assert list(holders) == [world.other_company.id]


def test_one_number_serves_one_company_in_the_database(app, world):
    db.session.add(CompanyPhone(phone=NUMBER, company_id=world.company.id))
    db.session.commit()
    db.session.add(CompanyPhone(phone=NUMBER, company_id=world.other_company.id))

    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_proven_number_serves_the_companys_other_branches_and_a_new_number_needs_proof(
    client, world, twilio
):
    log_in(client, world.users["admin"])
    _enter_number(client, world.branch)
    _prove(client, world.branch, twilio)

    second = post(
        client,
        "/provider/branches/new",
        branch_form(name="Kopi Satu Bogor", phone=TYPED, phone_consent="y"),
    )
    changed = post(
        client,
        f"/provider/branches/{world.branch.id}/edit",
        branch_form(name=world.branch.name, phone="0813 5550 0099", phone_consent="y"),
    )

    assert second.headers["Location"] == "/provider/branches"  # nothing left to prove
    bogor = db.session.scalar(select(Branch).where(Branch.name == "Kopi Satu Bogor"))
    assert bogor.phone_verified_at is not None
    assert changed.headers["Location"].endswith(f"/branches/{world.branch.id}/phone")
    assert fresh(Branch, world.branch.id).phone_verified_at is None
