"""Picture uploads: verified accounts only, one per-user budget for profile and voucher pictures,
and a picture with too many pixels gets a translated message next to the field, never a 500."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Image, ProfilePicture
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.console import console, photo_bytes, post_form, voucher_form  # noqa: F401
from tests.support.pictures import png_claiming

PICTURE = "/account/profile/picture"
NEW_VOUCHER = "/provider/vouchers/new"


def _upload_picture(client, data: bytes, query: str = ""):
    token = csrf_token_from(client.get("/account/profile").get_data(as_text=True))
    return client.post(
        PICTURE + query,
        data={"csrf_token": token, "picture": (io.BytesIO(data), "me.png")},
        content_type="multipart/form-data",
    )


def _pictures() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ProfilePicture))


def test_an_unverified_account_cannot_add_a_profile_picture(client, create_user):
    user = create_user(verified=False)
    log_in(client, user)
    page = client.get("/account/profile").get_data(as_text=True)
    assert 'action="/account/profile/picture"' not in page  # no form: the way to verify instead
    assert 'href="/verify"' in page

    response = _upload_picture(client, photo_bytes((800, 600)))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Verify your phone and email before you add a picture." in html
    assert _pictures() == 0


def test_a_16_megapixel_png_is_refused_next_to_the_field_in_the_users_language(client, create_user):
    log_in(client, create_user())

    response = _upload_picture(client, png_claiming(4000, 4000), query="?lang=id")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Resolusi gambar terlalu besar. Gunakan foto yang lebih kecil." in html
    assert _pictures() == 0


def test_profile_and_voucher_pictures_share_one_upload_budget_per_user(app, client, console):  # noqa: F811
    console.log_in(client, "owner")
    picture = photo_bytes((800, 450), orientation=None)
    statuses = [_upload_picture(client, picture).status_code for _ in range(5)]
    for n in range(5):
        form = voucher_form(console, title=f"Es teh {n}", image=(picture, "teh.jpg"))
        statuses.append(post_form(client, NEW_VOUCHER, form).status_code)
    assert statuses == [303] * 10  # RATELIMIT_UPLOADS_PER_USER: 10 a minute

    assert _upload_picture(client, picture).status_code == 429
    refused = post_form(client, NEW_VOUCHER, voucher_form(console, image=(picture, "teh.jpg")))
    assert refused.status_code == 429
    # A voucher form without a picture is not an upload: it still goes through.
    assert (
        post_form(client, NEW_VOUCHER, voucher_form(console, title="Tanpa foto")).status_code == 303
    )
    # Another user's budget is their own.
    console.log_in(client, "admin")
    assert _upload_picture(client, picture).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Image)) == 1  # one file, stored once
