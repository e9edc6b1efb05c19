"""The team: inviting by email, accepting, roles, the last owner, staff branches, switching."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Company, Invitation, Membership, OutboxMessage
from konexi.models.base import utcnow
from konexi.services.providers.invitations import invitation_token
from konexi.services.providers.memberships import staff_branch_ids
from tests.support.auth import log_in
from tests.support.factories import fresh, make_company, make_member
from tests.support.team import invitation_links, make_invitation, make_world, membership_of, post


def _path(link: str) -> str:
    return urlsplit(link).path


# -- invitations -----------------------------------------------------------------------------
def test_invited_person_gets_an_email_with_a_link_and_joins_by_accepting(
    app, client, create_user, mailbox
):
    world = make_world(create_user)
    log_in(client, world.users["admin"])

    response = post(
        client, "/provider/team/invitations", {"email": "Rina@Example.COM", "role": "staff"}
    )

    assert response.status_code == 303
    [link] = invitation_links(mailbox, "Rina@example.com")
    assert link.startswith("http://konexi.test/provider/invitations/")
    [mail] = mailbox.to("Rina@example.com")
    assert "Kopi Satu" in mail.subject
    assert "Bima Admin invited you to join Kopi Satu on Konexi as Staff." in mail.text
    assert "7 days" in mail.text
    assert (
        db.session.scalar(
            select(OutboxMessage.kind).where(OutboxMessage.to_address == "Rina@example.com")
        )
        == "team_invitation"
    )
    team_page = client.get("/provider/team").get_data(as_text=True)
    assert "Rina@example.com" in team_page

    # The new person opens the link before having an account: log in or sign up, then back here.
    newcomer = app.test_client()
    page = newcomer.get(_path(link))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Join Kopi Satu" in html
    assert f'href="/signup?next={_path(link)}"' in html
    assert f'href="/login?next={_path(link)}"' in html

    rina = create_user(name="Rina Wati", email="rina@example.com")  # signed up, verified
    log_in(newcomer, rina)
    assert "Accept and join" in newcomer.get(_path(link)).get_data(as_text=True)
    accepted = post(newcomer, _path(link) + "/accept")

    assert accepted.status_code == 303
    assert accepted.headers["Location"] == "/provider/"
    membership = membership_of(rina.id, world.company.id)
    assert membership is not None and membership.role == "staff"
    assert fresh(Invitation, db.session.scalar(select(Invitation.id))).accepted_at is not None
    # the link is spent
    assert post(newcomer, _path(link) + "/accept").status_code == 410


def test_someone_logged_in_with_another_account_cannot_accept(app, client, create_user):
    world = make_world(create_user)
    invitation = make_invitation(world.company, "rina@example.com")
    log_in(client, world.users["plain"])
    url = f"/provider/invitations/{invitation_token(invitation)}"

    page = client.get(url)
    response = post(client, url + "/accept")

    assert page.status_code == 403
    assert "different email address" in page.get_data(as_text=True)
    assert response.status_code == 403
    assert membership_of(world.users["plain"].id, world.company.id) is None
    assert fresh(Invitation, invitation.id).accepted_at is None


def test_unverified_account_must_verify_before_accepting(app, client, create_user):
    world = make_world(create_user)
    rina = create_user(email="rina@example.com", verified=False)
    invitation = make_invitation(world.company, "rina@example.com")
    log_in(client, rina)
    url = f"/provider/invitations/{invitation_token(invitation)}"

    page = client.get(url)
    response = post(client, url + "/accept")

    assert page.status_code == 403
    assert "/verify" in page.get_data(as_text=True)
    with client.session_transaction() as session:
        assert session.get("after_verify") == url  # back to the invitation once verified
    assert response.status_code == 403
    assert membership_of(rina.id, world.company.id) is None


def test_expired_invitation_is_refused(app, client, create_user):
    world = make_world(create_user)
    rina = create_user(email="rina@example.com")
    invitation = make_invitation(
        world.company, "rina@example.com", expires_at=utcnow() - timedelta(minutes=1)
    )
    log_in(client, rina)

    response = post(client, f"/provider/invitations/{invitation_token(invitation)}/accept")

    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert membership_of(rina.id, world.company.id) is None


def test_link_signed_more_than_seven_days_ago_is_refused(app, client, create_user, monkeypatch):
    world = make_world(create_user)
    rina = create_user(email="rina@example.com")
    invitation = make_invitation(world.company, "rina@example.com")
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 8 * 86400)
    old_token = invitation_token(invitation)
    monkeypatch.undo()
    log_in(client, rina)

    page = client.get(f"/provider/invitations/{old_token}")
    response = post(client, f"/provider/invitations/{old_token}/accept")

    assert page.status_code == 410 and "Kopi Satu" in page.get_data(as_text=True)
    assert response.status_code == 410
    assert membership_of(rina.id, world.company.id) is None


def test_tampered_link_is_not_found(app, client, create_user):
    world = make_world(create_user)
    good = invitation_token(make_invitation(world.company, "rina@example.com"))

    response = client.get(f"/provider/invitations/{good[:-2]}xx")

    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_revoked_invitation_is_refused(app, client, create_user, mailbox):
    world = make_world(create_user)
    log_in(client, world.users["owner"])
    post(client, "/provider/team/invitations", {"email": "rina@example.com", "role": "admin"})
    [link] = invitation_links(mailbox, "rina@example.com")
    invitation_id = db.session.scalar(select(Invitation.id))

    revoked = post(client, f"/provider/team/invitations/{invitation_id}/revoke")
    rina = create_user(email="rina@example.com")
    other = app.test_client()
    log_in(other, rina)
    response = post(other, _path(link) + "/accept")

    assert revoked.status_code == 303
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)
    assert membership_of(rina.id, world.company.id) is None
    assert f'id="invitation-{invitation_id}"' not in client.get("/provider/team").get_data(
        as_text=True
    )


def test_a_new_invitation_replaces_the_older_link(app, client, create_user, mailbox):
    world = make_world(create_user)
    log_in(client, world.users["owner"])
    post(client, "/provider/team/invitations", {"email": "rina@example.com", "role": "staff"})
    post(client, "/provider/team/invitations", {"email": "rina@example.com", "role": "admin"})
    first, second = invitation_links(mailbox, "rina@example.com")
    rina = create_user(email="rina@example.com")
    other = app.test_client()
    log_in(other, rina)

    assert post(other, _path(first) + "/accept").status_code == 410
    assert post(other, _path(second) + "/accept").status_code == 303
    assert membership_of(rina.id, world.company.id).role == "admin"


def test_invite_form_keeps_the_input_and_explains_errors(app, client, create_user):
    world = make_world(create_user)
    log_in(client, world.users["admin"])

    bad_email = post(client, "/provider/team/invitations", {"email": "rina@", "role": "staff"})
    member = post(
        client,
        "/provider/team/invitations",
        {"email": world.users["staff"].email.upper(), "role": "staff"},
    )
    owner = post(client, "/provider/team/invitations", {"email": "x@example.com", "role": "owner"})

    assert bad_email.status_code == 422
    assert 'value="rina@"' in bad_email.get_data(as_text=True)
    assert "Enter an email address such as name@example.com." in bad_email.get_data(as_text=True)
    assert "already in your team" in member.get_data(as_text=True)
    assert owner.status_code == 422  # only owners invite owners
    assert "Choose one of the roles offered." in owner.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


# -- roles, removal and the last owner -------------------------------------------------------
def test_last_owner_can_be_neither_removed_nor_demoted(app, client, create_user):
    world = make_world(create_user)
    owner = world.memberships["owner"]
    log_in(client, world.users["owner"])

    demoted = post(client, f"/provider/team/{owner.id}", {"role": "admin"})
    removed = post(client, f"/provider/team/{owner.id}/remove")

    assert demoted.status_code == 422 and removed.status_code == 422
    assert "A company needs an owner" in demoted.get_data(as_text=True)
    assert "A company needs an owner" in removed.get_data(as_text=True)
    assert fresh(Membership, owner.id).role == "owner"


def test_an_owner_can_step_down_once_there_is_another_owner(app, client, create_user):
    world = make_world(create_user)
    log_in(client, world.users["owner"])
    promoted = post(client, f"/provider/team/{world.memberships['admin'].id}", {"role": "owner"})

    stepped_down = post(
        client, f"/provider/team/{world.memberships['owner'].id}", {"role": "admin"}
    )

    assert promoted.status_code == 303 and stepped_down.status_code == 303
    assert fresh(Membership, world.memberships["admin"].id).role == "owner"
    assert fresh(Membership, world.memberships["owner"].id).role == "admin"


def test_admins_cannot_make_owners_or_touch_them(app, client, create_user):
    world = make_world(create_user)
    log_in(client, world.users["admin"])

    promote = post(client, f"/provider/team/{world.memberships['staff'].id}", {"role": "owner"})
    remove_owner = post(client, f"/provider/team/{world.memberships['owner'].id}/remove")

    assert promote.status_code == 422
    assert remove_owner.status_code == 403
    assert fresh(Membership, world.memberships["staff"].id).role == "staff"
    assert fresh(Membership, world.memberships["owner"].id) is not None


def test_admin_removes_a_staff_member(app, client, create_user):
    world = make_world(create_user)
    log_in(client, world.users["admin"])
    staff_id = world.memberships["staff"].id

    response = post(client, f"/provider/team/{staff_id}/remove")

    assert response.status_code == 303
    assert fresh(Membership, staff_id) is None
    assert f'id="member-{staff_id}"' not in client.get("/provider/team").get_data(as_text=True)


# -- staff branches --------------------------------------------------------------------------
def test_staff_are_assigned_to_branches_of_their_company_only(app, client, create_user):
    world = make_world(create_user)
    staff = world.memberships["staff"]
    second = world.company.branches[1]
    log_in(client, world.users["admin"])

    assigned = post(
        client,
        f"/provider/team/{staff.id}",
        {"role": "staff", "branches": [str(world.branch.id), str(second.id)]},
    )
    foreign = post(
        client,
        f"/provider/team/{staff.id}",
        {"role": "staff", "branches": str(world.other_branch.id)},
    )

    assert assigned.status_code == 303
    assert foreign.status_code == 422
    assert "Choose branches of this company." in foreign.get_data(as_text=True)
    assert staff_branch_ids(fresh(Membership, staff.id)) == {world.branch.id, second.id}
    page = client.get("/provider/team").get_data(as_text=True)
    assert f"Redeems at: {second.name}, {world.branch.name}" in page


def test_promoting_staff_to_admin_clears_their_branch_list(app, client, create_user):
    world = make_world(create_user)
    staff = world.memberships["staff"]
    log_in(client, world.users["owner"])

    post(client, f"/provider/team/{staff.id}", {"role": "admin", "branches": str(world.branch.id)})

    member = fresh(Membership, staff.id)
    assert member.role == "admin" and member.branches == []
    assert staff_branch_ids(member) is None  # admins redeem everywhere


def test_member_page_shows_the_company_branches_as_checkboxes(app, client, create_user):
    world = make_world(create_user)
    log_in(client, world.users["owner"])

    html = client.get(f"/provider/team/{world.memberships['staff'].id}").get_data(as_text=True)

    assert 'type="checkbox"' in html
    assert (
        f'<input checked id="branches-1" name="branches" type="checkbox" value="{world.branch.id}">'
        in html
    )
    assert world.other_branch.name not in html


# -- several companies -----------------------------------------------------------------------
def test_a_member_of_two_companies_switches_between_them(app, client, create_user):
    world = make_world(create_user)
    user = world.users["owner"]
    make_member(world.other_company, user, "staff", [world.other_branch])
    log_in(client, user)

    post(client, "/provider/switch", {"company_id": str(world.company.id)})
    first = client.get("/provider/team")
    switched = post(client, "/provider/switch", {"company_id": str(world.other_company.id)})
    as_staff = client.get("/provider/team")
    dashboard = client.get("/provider/").get_data(as_text=True)
    post(client, "/provider/switch", {"company_id": str(world.company.id)})
    back = client.get("/provider/team")

    assert first.status_code == 200 and "Kopi Satu" in first.get_data(as_text=True)
    assert switched.status_code == 303
    assert as_staff.status_code == 403  # staff in Kopi Dua
    assert "Kopi Dua" in dashboard and 'name="company_id"' in dashboard
    assert back.status_code == 200


def test_switching_to_a_company_one_does_not_belong_to_is_refused(app, client, create_user):
    world = make_world(create_user)
    log_in(client, world.users["admin"])

    post(client, "/provider/switch", {"company_id": str(world.other_company.id)})

    assert "Kopi Satu" in client.get("/provider/team").get_data(as_text=True)
    assert client.get(f"/provider/branches/{world.other_branch.id}/edit").status_code == 404


# -- company accounts and settings -----------------------------------------------------------
def test_a_verified_user_creates_a_company_and_becomes_its_owner(app, client, create_user):
    user = create_user(name="Sari")
    make_company(name="Taken")  # slug warung-kopi-N; the typed slug below is free
    log_in(client, user)

    response = post(
        client,
        "/provider/new",
        {"name": "Warung Sari", "slug": "", "description": "Nasi uduk.", "category": ""},
    )

    company = db.session.scalar(select(Company).where(Company.name == "Warung Sari"))
    assert response.status_code == 303
    assert company.slug == "warung-sari"
    assert membership_of(user.id, company.id).role == "owner"
    assert "Warung Sari" in client.get("/provider/branches").get_data(as_text=True)


def test_company_slug_must_be_free_and_well_formed(app, client, create_user):
    company = make_company()
    log_in(client, create_user())

    taken = post(client, "/provider/new", {"name": "X Co", "slug": company.slug})
    malformed = post(client, "/provider/new", {"name": "X Co", "slug": "Bad Slug!"})

    assert taken.status_code == 422 and "This address is taken" in taken.get_data(as_text=True)
    assert malformed.status_code == 422
    assert 'value="Bad Slug!"' in malformed.get_data(as_text=True)


def test_settings_change_name_and_description_but_never_the_slug(app, client, create_user):
    world = make_world(create_user)
    slug = world.company.slug
    log_in(client, world.users["admin"])

    response = post(
        client,
        "/provider/company",
        {"name": "Kopi Satu Baru", "description": "Kopi enak.", "category": "", "slug": "hacked"},
    )
    empty = post(client, "/provider/company", {"name": " ", "description": ""})

    company = fresh(Company, world.company.id)
    assert response.status_code == 303
    assert (company.name, company.description, company.slug) == (
        "Kopi Satu Baru",
        "Kopi enak.",
        slug,
    )
    assert empty.status_code == 422 and "This is required." in empty.get_data(as_text=True)


TEAM_PAGE_HEADINGS = {
    "/provider/team": {"en": "Team", "id": "Tim"},
    "/provider/branches": {"en": "Branches", "id": "Cabang"},
    "/provider/company": {"en": "Company settings", "id": "Pengaturan perusahaan"},
    "/provider/new": {"en": "Create a provider account", "id": "Buat akun penyedia"},
}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_team_pages_render_in_both_languages(app, client, create_user, lang):
    world = make_world(create_user)
    log_in(client, world.users["owner"])
    other = "id" if lang == "en" else "en"
    for url, headings in TEAM_PAGE_HEADINGS.items():
        response = client.get(f"{url}?lang={lang}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f"<h1>{headings[lang]}</h1>" in html, url
        assert f"<h1>{headings[other]}</h1>" not in html, url
