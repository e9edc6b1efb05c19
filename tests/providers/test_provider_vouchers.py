"""Providers create vouchers: drafts or live at once, Jakarta times, pictures, form errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Image, Voucher
from konexi.models.base import utcnow
from tests.support.console import photo_bytes, post_form, voucher_form

NEW = "/provider/vouchers/new"


def only_voucher() -> Voucher:
    db.session.expire_all()
    [voucher] = db.session.scalars(select(Voucher)).all()
    return voucher


def test_a_voucher_is_created_as_a_draft_with_jakarta_times_stored_in_utc(app, client, console):  # noqa: F811
    console.log_in(client, "admin")
    form = voucher_form(console, starts_at="2031-01-10T09:00", ends_at="2031-02-10T21:30")

    response = post_form(client, NEW, form)

    assert response.status_code == 303
    assert response.headers["Location"] == "/provider/vouchers"
    voucher = only_voucher()
    assert voucher.status == "draft"
    assert voucher.company_id == console.company.id
    assert voucher.starts_at == datetime(2031, 1, 10, 2, 0, tzinfo=UTC)  # 09:00 WIB
    assert voucher.ends_at == datetime(2031, 2, 10, 14, 30, tzinfo=UTC)
    assert (voucher.quota_total, voucher.per_user_limit, voucher.quota_claimed) == (50, 1, 0)
    assert {b.id for b in voucher.branches} == {b.id for b in console.branches}
    listing = client.get("/provider/vouchers").get_data(as_text=True)
    assert "Gratis es teh" in listing and "Draft" in listing and "Saved as a draft." in listing
    # Drafts are nobody's business but the provider's.
    assert client.get(f"/vouchers/{voucher.id}").status_code == 404


def test_publish_now_makes_it_live_with_its_picture(app, client, console):  # noqa: F811
    console.log_in(client, "owner")
    form = voucher_form(
        console,
        publish="y",
        starts_at=(utcnow() + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),  # WIB = now - 1h
        image=(io.BytesIO(photo_bytes((1600, 900), orientation=None)), "kopi.jpg"),
    )

    assert post_form(client, NEW, form).status_code == 303

    voucher = only_voucher()
    assert voucher.status == "live"
    assert voucher.image is not None
    assert (voucher.image.width, voucher.image.height) == (640, 360)
    html = client.get("/").get_data(as_text=True)
    assert "Gratis es teh" in html
    assert f"/media/{voucher.image.id}-{voucher.image.sha256[:8]}-thumb.webp" in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "Enter a title."),
        ({"starts_at": "tomorrow"}, "starts_at", "Enter a date and time"),
        ({"ends_at": "2031-13-45T25:00"}, "ends_at", "Enter a date and time"),
        ({"starts_at": "0001-01-01T00:00"}, "starts_at", "between the years 2000 and 2099"),
        ({"ends_at": "9999-12-31T23:59"}, "ends_at", "between the years 2000 and 2099"),
        (
            {"starts_at": "2031-03-01T10:00", "ends_at": "2031-02-01T10:00"},
            "ends_at",
            "The end must be after the start.",
        ),
        ({"ends_at": "2020-01-01T10:00", "starts_at": "2019-12-01T10:00"}, "ends_at", "future"),
        ({"quota_total": "0"}, "quota_total", "Enter a number from 1 to"),
        ({"quota_total": "lots"}, "quota_total", "Enter a whole number."),
        ({"per_user_limit": "0"}, "per_user_limit", "Enter a number from 1 to"),
        ({"category_id": ""}, "category_id", "Choose a category."),
        ({"branch_ids": []}, "branch-ids", "Choose at least one of your branches."),
        ({"image": (b"not a picture\n" * 50, "photo.jpg")}, "image", "JPEG, PNG"),
    ],
    ids=[
        "no-title",
        "bad-start",
        "bad-end",
        "year-1-start",
        "year-9999-end",
        "end-before-start",
        "past",
        "zero-quota",
        "quota-text",
        "per-user-0",
        "no-category",
        "no-branch",
        "not-an-image",
    ],
)
def test_bad_input_comes_back_with_the_input_and_an_error_by_the_field(
    app,
    client,
    console,  # noqa: F811
    overrides,
    field,
    message,
):
    console.log_in(client, "admin")

    response = post_form(client, NEW, voucher_form(console, **overrides))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error">' in html.replace("branch_ids", "branch-ids")
    error_line = html.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error_line
    assert 'value="Gratis es teh"' in html or overrides.get("title")  # the input is kept
    assert db.session.scalar(select(Voucher.id)) is None


def test_a_branch_of_another_company_or_an_inactive_one_is_refused(app, client, console):  # noqa: F811
    console.log_in(client, "admin")
    for branch in (console.other_branch, console.inactive_branch):
        response = post_form(client, NEW, voucher_form(console, branch_ids=[str(branch.id)]))
        assert response.status_code == 422
        assert "Choose at least one of your branches." in response.get_data(as_text=True)
    # only active branches are offered
    html = client.get(NEW).get_data(as_text=True)
    assert "Menteng" in html and "Tutup" not in html and "Sebelah" not in html


def test_a_good_picture_is_kept_when_another_field_is_wrong(app, client, console):  # noqa: F811
    console.log_in(client, "admin")
    upload = (io.BytesIO(photo_bytes((800, 450), orientation=None)), "kopi.jpg")
    refused = post_form(client, NEW, voucher_form(console, title="", image=upload))
    html = refused.get_data(as_text=True)
    [image] = db.session.scalars(select(Image)).all()
    assert f'name="kept_image_id" type="hidden" value="{image.id}"' in html
    assert "no need to send it again" in html

    fixed = post_form(client, NEW, voucher_form(console, kept_image_id=str(image.id)))

    assert fixed.status_code == 303
    assert only_voucher().image_id == image.id


def test_someone_elses_picture_id_is_ignored(app, client, console):  # noqa: F811
    from konexi.services.images import store_image

    theirs = store_image(console.other.id, photo_bytes((400, 300), orientation=None))
    db.session.commit()
    console.log_in(client, "admin")
    post_form(client, NEW, voucher_form(console, kept_image_id=str(theirs.id)))
    assert only_voucher().image_id is None


def test_a_twenty_megabyte_upload_gets_the_too_large_page(app, client, console):  # noqa: F811
    console.log_in(client, "admin")
    huge = (io.BytesIO(b"\xff\xd8" + b"\x00" * (20 * 1024 * 1024)), "huge.jpg")
    response = post_form(client, NEW, voucher_form(console, image=huge))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_with_htmx_errors_swap_the_form_and_success_redirects(app, client, console):  # noqa: F811
    console.log_in(client, "admin")
    hx = {"HX-Request": "true"}
    refused = post_form(client, NEW, voucher_form(console, title=""), headers=hx)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert html.lstrip().startswith(("{#", "<form")) or "<form" in html.split("\n", 3)[-1]
    assert "<html" not in html and "Enter a title." in html
    saved = post_form(client, NEW, voucher_form(console), headers=hx)
    assert saved.status_code == 204
    assert saved.headers["HX-Redirect"] == "/provider/vouchers"
