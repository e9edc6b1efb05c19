"""Demo data: Demo Kopi's owner and staff, opening hours and phone consent (idempotent)."""

from __future__ import annotations

from sqlalchemy import func, select

from konexi.dev.demo_data import load_demo_data
from konexi.extensions import db
from konexi.models import Branch, Company, Membership, User
from konexi.services.accounts.passwords import verify_password
from konexi.services.providers.memberships import staff_branch_ids
from tests.support.auth import log_in


def _team(company_id: int) -> dict[str, tuple[str, set[str]]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Membership).where(Membership.company_id == company_id))
    return {m.user.email: (m.role, {b.name for b in m.branches}) for m in rows}


def test_demo_data_gives_demo_kopi_an_owner_and_a_staff_member_once(app):
    load_demo_data()
    load_demo_data()

    company = db.session.scalar(select(Company).where(Company.slug == "demo-kopi"))
    assert _team(company.id) == {
        "provider@konexi.test": ("owner", set()),
        "demo-staff@konexi.test": ("staff", {"Demo Kopi Sudirman"}),
    }
    assert db.session.scalar(select(func.count(Membership.id))) == 2
    staff = db.session.scalar(select(User).where(User.email == "demo-staff@konexi.test"))
    assert staff.phone == "+6281200000003" and staff.is_verified
    assert verify_password(staff.password_hash, "demo-password")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == staff.id))
    sudirman = db.session.scalar(select(Branch).where(Branch.name == "Demo Kopi Sudirman"))
    assert staff_branch_ids(membership) == {sudirman.id}


def test_demo_branches_have_opening_hours_and_recorded_consent(app):
    load_demo_data()
    first = {b.id: b.phone_consent_at for b in db.session.scalars(select(Branch))}
    load_demo_data()

    db.session.expire_all()
    owner = db.session.scalar(select(User).where(User.email == "provider@konexi.test"))
    branches = list(db.session.scalars(select(Branch)))
    assert len(branches) == 3
    for branch in branches:
        assert branch.opening_hours
        assert branch.phone and branch.phone_consent_by_id == owner.id
        assert branch.phone_consent_at == first[branch.id]  # the second run changed nothing


def test_demo_provider_logs_into_the_console_and_sees_team_and_branches(app, client):
    load_demo_data()
    owner = db.session.scalar(select(User).where(User.email == "provider@konexi.test"))
    staff = db.session.scalar(select(User).where(User.email == "demo-staff@konexi.test"))
    log_in(client, owner)
    team = client.get("/provider/team").get_data(as_text=True)
    assert "Demo Staff" in team and "Redeems at: Demo Kopi Sudirman" in team
    assert "Mon–Fri 07:00–21:00" in client.get("/provider/branches").get_data(as_text=True)

    staff_client = app.test_client()
    log_in(staff_client, staff)
    assert staff_client.get("/provider/").status_code == 200
    assert staff_client.get("/provider/team").status_code == 403
