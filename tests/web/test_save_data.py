"""Save-Data: no pictures for a browser that asks for lighter pages; small lazy ones otherwise."""

from __future__ import annotations

import re

from konexi.extensions import db
from konexi.services.images import THUMB_MAX_BYTES, THUMB_SIZE, store_image
from tests.support.console import console, photo_bytes  # noqa: F401

SAVE_DATA = {"Save-Data": "on"}
PLACEHOLDER = "Picture not loaded (data saver)"


def _vouchers_with_and_without_pictures(console, pictures: int = 4):  # noqa: F811
    with_picture = []
    for n in range(pictures):
        # busy photos of different shapes: the hardest kind to make small
        upload = photo_bytes((1600 + 40 * n, 900 + 120 * n), orientation=None, gps=False)
        image = store_image(console.company.id, upload)
        db.session.commit()
        with_picture.append(console.voucher(title=f"Pictured {n}", image_id=image.id))
    plain = console.voucher(title="No picture at all")
    return with_picture, plain


def test_cards_show_a_text_placeholder_instead_of_pictures_with_save_data(client, console):  # noqa: F811
    with_picture, plain = _vouchers_with_and_without_pictures(console)

    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/", headers={**headers, **SAVE_DATA})
        html = response.get_data(as_text=True)
        assert "<img" not in html and "/media/" not in html
        assert html.count(PLACEHOLDER) == len(with_picture)  # none for the card without one
        assert plain.title in html
        assert "Save-Data" in response.headers["Vary"]


def test_the_voucher_page_shows_the_placeholder_and_varies_on_save_data(client, console):  # noqa: F811
    [voucher], _plain = _vouchers_with_and_without_pictures(console, pictures=1)
    normal = client.get(f"/vouchers/{voucher.id}")
    lighter = client.get(f"/vouchers/{voucher.id}", headers=SAVE_DATA)

    assert '<img class="voucher-picture"' in normal.get_data(as_text=True)
    assert "<img" not in lighter.get_data(as_text=True)
    assert PLACEHOLDER in lighter.get_data(as_text=True)
    for response in (normal, lighter):
        assert "Save-Data" in response.headers["Vary"]
    # the two variants never answer for each other
    assert normal.headers["ETag"] != lighter.headers["ETag"]
    revalidated = client.get(
        f"/vouchers/{voucher.id}", headers={**SAVE_DATA, "If-None-Match": normal.headers["ETag"]}
    )
    assert revalidated.status_code == 200


def test_card_pictures_are_small_lazy_thumbnails_with_their_size(client, console):  # noqa: F811
    with_picture, _plain = _vouchers_with_and_without_pictures(console)
    html = client.get("/").get_data(as_text=True)
    images = re.findall(r"<img [^>]*>", html)

    assert len(images) == len(with_picture)
    for tag in images:
        assert 'loading="lazy"' in tag and 'decoding="async"' in tag
        assert f'width="{THUMB_SIZE[0]}" height="{THUMB_SIZE[1]}"' in tag
        src = re.search(r'src="([^"]+)"', tag).group(1)
        assert src.endswith("-thumb.webp") or src.endswith("-thumb.jpg")
        served = client.get(src)
        assert served.status_code == 200
        assert len(served.data) <= THUMB_MAX_BYTES  # the budget: 8 KB per card picture


def test_pages_without_pictures_do_not_vary_on_save_data(client):
    assert "Save-Data" not in client.get("/privacy").headers.get("Vary", "")
