"""The public profile (/people/<public id>): name, picture, birth date only when public, visible
reviews; nothing else; gone with a closed account; linked from the person's reviews."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from html import unescape

import pytest
from flask.testing import FlaskClient
from PIL import Image as PILImage

from konexi.extensions import db
from konexi.models import User
from konexi.services.accounts import profile
from tests.support.factories import make_company, make_voucher
from tests.support.reviews import make_review, redeemed_claim


def reviewer(create_user: Callable[..., User], **choices: object) -> User:
    person = create_user(
        name="Dewi Lestari Putri", email="dewi@example.com", phone="+6281311112222"
    )
    person.display_name = "Dewi L."
    person.birth_date = date(1994, 8, 17)
    for name, value in choices.items():
        setattr(person, name, value)
    db.session.commit()
    return person


def page_of(client: FlaskClient, person: User) -> str:
    response = client.get(f"/people/{person.public_id}")
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def test_the_public_id_is_random_and_not_the_account_number(app, create_user):
    first, second = create_user(), create_user()
    assert first.public_id and second.public_id and first.public_id != second.public_id
    assert not first.public_id.isdigit() and len(first.public_id) >= 12


def test_the_profile_shows_the_public_name_and_nothing_private(client, create_user):
    person = reviewer(create_user)

    html = page_of(client, person)

    assert "<h1>Dewi L.</h1>" in html
    for private in ("Dewi Lestari Putri", "dewi@example.com", "+6281311112222", "1994"):
        assert private not in html, private
    assert f"/people/{person.id}" != f"/people/{person.public_id}"
    assert client.get(f"/people/{person.id}").status_code == 404


@pytest.mark.parametrize("lang, born", [("en", "Born 17 Aug 1994"), ("id", "Lahir 17 Agu 1994")])
def test_the_birth_date_shows_only_when_switched_on(client, create_user, lang: str, born: str):
    person = reviewer(create_user, show_birth_date=True)
    client.get(f"/?lang={lang}")
    assert born in page_of(client, person)

    person.show_birth_date = False
    db.session.commit()
    assert "1994" not in page_of(client, person)


def test_the_picture_is_served_under_the_public_id(client, create_user):
    person = reviewer(create_user)
    upload = io.BytesIO()
    PILImage.new("RGB", (40, 40), (10, 120, 90)).save(upload, "JPEG")
    stored = profile.set_profile_picture(person.id, upload.getvalue())

    html = page_of(client, person)

    match = re.search(r'<img class="profile-picture" src="([^"]+)"', html)
    assert match is not None
    url = match.group(1)
    assert url.startswith(f"/people/{person.public_id}/picture-{stored.sha256[:8]}.")
    assert f"/{person.id}-" not in html  # the account number stays private
    picture = client.get(url)
    assert picture.status_code == 200 and picture.data == stored.data
    assert client.get(url.replace(stored.sha256[:8], "00000000")).status_code == 404


def test_only_visible_reviews_at_open_providers_are_listed(client, create_user):
    person = reviewer(create_user)
    shown = make_voucher(title="Es kopi")
    hidden = make_voucher(title="Roti bakar")
    removed = make_voucher(title="Mie ayam")
    closed_company = make_company(active=False, name="Tutup Kopi")
    gone = make_voucher(title="Teh tarik", company=closed_company)
    for voucher in (shown, hidden, removed, gone):
        redeemed_claim(person, voucher)
    make_review(person, shown, text="Mantap sekali")
    make_review(person, hidden, text="Hidden text", status="hidden")
    make_review(person, removed, text="Removed text", status="removed")
    make_review(person, gone, text="Closed shop text")

    html = page_of(client, person)

    assert "Mantap sekali" in html and shown.company.name in html
    for text in ("Hidden text", "Removed text", "Closed shop text"):
        assert text not in html


@pytest.mark.parametrize("status", ["closed", "deleting"])
def test_a_closed_or_deleting_account_has_no_profile(client, create_user, status: str):
    person = reviewer(create_user)
    person.status = status
    db.session.commit()
    assert client.get(f"/people/{person.public_id}").status_code == 404
    assert client.get("/people/no-such-person").status_code == 404
    assert client.get("/people/" + "x" * 40).status_code == 404


def test_reviews_on_the_provider_page_link_to_the_profile(client, create_user):
    person = reviewer(create_user)
    leaver = create_user(name="Agus")
    voucher = make_voucher()
    for author in (person, leaver):
        redeemed_claim(author, voucher)
    make_review(person, voucher, text="Enak")
    make_review(leaver, voucher, text="Lumayan")
    make_review(None, voucher, text="Dari akun yang dihapus")
    leaver.status = "closed"
    db.session.commit()

    html = unescape(client.get(f"/providers/{voucher.company.slug}").get_data(as_text=True))

    assert f'<a href="/people/{person.public_id}">Dewi L.</a>' in html
    assert f"/people/{leaver.public_id}" not in html  # a closed account is not linked
    assert "Deleted user" in html
