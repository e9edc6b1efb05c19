"""Profile page: display name, picture without metadata, birth date, favourites, public profile."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from flask.testing import FlaskClient
from PIL import Image as PILImage
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Category, ProfilePicture, User
from konexi.services.accounts.profile import favourite_category_ids, public_profile
from tests.support.app import csrf_token_from
from tests.support.auth import log_in


def _jpeg_with_exif(colour: str = "red") -> bytes:
    picture = PILImage.new("RGB", (800, 600), colour)
    exif = PILImage.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    out = BytesIO()
    picture.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _token(client: FlaskClient) -> str:
    return csrf_token_from(client.get("/account/profile").get_data(as_text=True))


def test_anonymous_visitor_is_sent_tolog_in(client: FlaskClient) -> None:
    for url in ("/account", "/account/profile", "/account/privacy"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_account_overview_links_profile_privacy_history_and_password(client, create_user) -> None:
    user = create_user()
    log_in(client, user)
    html = client.get("/account").get_data(as_text=True)
    for link in ("/account/profile", "/account/privacy", "/me/vouchers"):
        assert f'href="{link}"' in html
    assert "0 active, 0 redeemed, 0 hidden" in html
    for endpoint in ("export", "close", "delete"):
        assert f'href="/account/{endpoint}"' in html


def test_profile_saves_name_birth_date_and_favourites(client, create_user) -> None:
    user = create_user(name="Siti Rahma")
    food = Category(slug="food", name_en="Food", name_id="Makanan")
    spa = Category(slug="spa", name_en="Spa", name_id="Spa")
    db.session.add_all([food, spa])
    db.session.commit()
    food_id, user_id = food.id, user.id
    log_in(client, user)
    response = client.post(
        "/account/profile",
        data={
            "csrf_token": _token(client),
            "display_name": "Siti R",
            "birth_date": "1990-08-17",
            "show_birth_date": "y",
            "categories": [str(food_id)],
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(User, user_id)
    assert saved.display_name == "Siti R"
    assert saved.birth_date == date(1990, 8, 17)
    assert favourite_category_ids(user_id) == [food_id]
    assert public_profile(saved)["birth_date"] == date(1990, 8, 17)
    assert public_profile(saved)["name"] == "Siti R"


def test_public_profile_hides_birth_date_unless_shown(app, create_user) -> None:
    user = create_user(name="Budi Santoso")
    user.birth_date = date(1985, 1, 2)
    user.show_birth_date = False
    db.session.commit()
    with app.test_request_context():
        shown = public_profile(user)
        assert shown == {"name": "Budi", "picture_url": None, "birth_date": None}
        user.show_birth_date = True
        assert public_profile(user)["birth_date"] == date(1985, 1, 2)


def test_bad_birth_date_keeps_the_input_with_an_error(client, create_user) -> None:
    user = create_user()
    log_in(client, user)
    token = _token(client)
    for typed in ("2999-01-01", "2024-01-01", "1800-01-01", "17/08/1990"):
        response = client.post(
            "/account/profile",
            data={"csrf_token": token, "display_name": "Kept", "birth_date": typed},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert f'value="{typed}"' in html
        assert 'value="Kept"' in html
        assert 'class="field-error"' in html
    db.session.expire_all()
    assert db.session.get(User, user.id).birth_date is None


def test_picture_is_re_encoded_without_exif_and_replacing_keeps_one_row(
    client, create_user
) -> None:
    user = create_user()
    user_id = user.id
    log_in(client, user)
    token = _token(client)
    first = _jpeg_with_exif("red")
    assert b"SpyCam" in first
    response = client.post(
        "/account/profile/picture",
        data={"csrf_token": token, "picture": (BytesIO(first), "me.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    stored = db.session.get(ProfilePicture, user_id)
    old_hash = stored.sha256
    assert b"SpyCam" not in stored.data and b"SecretSoftware" not in stored.data
    assert not PILImage.open(BytesIO(stored.data)).getexif()

    html = client.get("/account/profile").get_data(as_text=True)
    url = f"/account/picture/{user_id}-{old_hash[:8]}.{stored.extension}"
    assert url in html
    served = client.get(url)
    assert served.status_code == 200
    assert "immutable" in served.headers["Cache-Control"]

    client.post(
        "/account/profile/picture",
        data={"csrf_token": token, "picture": (BytesIO(_jpeg_with_exif("blue")), "me2.jpg")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    count = db.session.scalar(
        select(func.count()).select_from(ProfilePicture).where(ProfilePicture.user_id == user_id)
    )
    assert count == 1
    assert db.session.get(ProfilePicture, user_id).sha256 != old_hash
    assert client.get(url).status_code == 404

    client.post("/account/profile/picture/remove", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(ProfilePicture, user_id) is None


def test_a_file_that_is_not_a_picture_is_refused_with_a_message(client, create_user) -> None:
    user = create_user()
    log_in(client, user)
    response = client.post(
        "/account/profile/picture",
        data={"csrf_token": _token(client), "picture": (BytesIO(b"not an image"), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
