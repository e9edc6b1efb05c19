"""Pictures: the upload pipeline (Pillow) and the media URLs (caching, 404s, Save-Data)."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image as PILImage

from konexi.extensions import db
from konexi.services.images import (
    FULL_SIZE,
    THUMB_MAX_BYTES,
    ImageProblem,
    ImageRejected,
    process_image,
    store_image,
)
from tests.support.console import console, photo_bytes  # noqa: F401
from tests.support.pictures import png_claiming

SIZES: dict[str, int] = {}  # bytes measured, printed with -s for the report


def riff_chunks(data: bytes) -> list[bytes]:
    """The chunk names of a WebP file (EXIF, ICCP and "XMP " would be metadata)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    names, offset = [], 12
    while offset + 8 <= len(data):
        name, size = (
            data[offset : offset + 4],
            struct.unpack("<I", data[offset + 4 : offset + 8])[0],
        )
        names.append(name)
        offset += 8 + size + (size & 1)
    return names


def test_a_big_phone_photo_becomes_a_small_upright_webp_without_its_location():
    upload = photo_bytes((3000, 2000), orientation=6, gps=True)
    assert b"Exif" in upload

    processed = process_image(upload)

    SIZES.update(upload=len(upload), full=len(processed.data), thumb=len(processed.thumb_data))
    print(f"\nimage sizes: {SIZES}")
    assert processed.content_type == "image/webp"
    # Orientation 6 means "rotate 90°": the 3000x2000 landscape is a portrait, fit into 640x360.
    assert (processed.width, processed.height) == (240, 360)
    assert processed.width <= FULL_SIZE[0] and processed.height <= FULL_SIZE[1]
    assert (processed.thumb_width, processed.thumb_height) == (160, 90)
    assert len(processed.thumb_data) <= THUMB_MAX_BYTES
    assert len(processed.data) < 48 * 1024
    for data in (processed.data, processed.thumb_data):
        assert not {b"EXIF", b"ICCP", b"XMP "} & set(riff_chunks(data))
        assert b"Exif" not in data and b"GPS" not in data
        with PILImage.open(io.BytesIO(data)) as decoded:
            assert decoded.format == "WEBP"
            assert not decoded.getexif()
            assert "icc_profile" not in decoded.info
    with PILImage.open(io.BytesIO(processed.data)) as full:
        assert full.size == (240, 360)
        # The red band drawn along the original's top edge is now down its right side.
        red, green, _blue = full.convert("RGB").getpixel((235, 20))
        assert red > 150 and green < 80


def test_png_and_webp_uploads_are_accepted_and_transparency_turns_white():
    transparent = PILImage.new("RGBA", (800, 450), (0, 0, 0, 0))
    out = io.BytesIO()
    transparent.save(out, "PNG")
    processed = process_image(out.getvalue())
    assert (processed.width, processed.height) == (640, 360)
    with PILImage.open(io.BytesIO(processed.data)) as full:
        assert full.convert("RGB").getpixel((10, 10)) > (240, 240, 240)

    webp = io.BytesIO()
    PILImage.new("RGB", (200, 100), (0, 90, 200)).save(webp, "WEBP")
    small = process_image(webp.getvalue())
    assert (small.width, small.height) == (200, 100)  # never enlarged


def test_a_big_png_is_reduced_before_its_colours_are_converted():
    # 2400x1600 RGBA (just under the 4 MP ceiling): reduced by 2 before flattening.
    picture = PILImage.new("RGBA", (2400, 1600), (0, 0, 0, 0))
    picture.paste((200, 30, 30, 255), (0, 0, 2400, 160))  # an opaque red band along the top
    out = io.BytesIO()
    picture.save(out, "PNG")

    processed = process_image(out.getvalue())

    assert (processed.width, processed.height) == (540, 360)
    with PILImage.open(io.BytesIO(processed.data)) as full:
        rgb = full.convert("RGB")
        red, green, _blue = rgb.getpixel((270, 10))
        assert red > 150 and green < 80
        assert rgb.getpixel((270, 300)) > (240, 240, 240)  # transparency still turns white


def _jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (30, 120, 200)).save(out, "JPEG", quality=60)
    return out.getvalue()


def test_a_big_jpeg_is_decoded_small_and_pixels_are_capped_where_that_cannot_help():
    # 7200x4800 (35 MP): decoded at 1/4 (1800x1200, 2.2 MP), under the 4 MP ceiling.
    assert process_image(_jpeg((7200, 4800))).width == 540
    # A 640-wide strip cannot be decoded smaller: 640 x 7000 = 4.5 MP would be decoded in full.
    with pytest.raises(ImageRejected) as refused:
        process_image(_jpeg((640, 7000)))
    assert refused.value.problem is ImageProblem.TOO_MANY_PIXELS


@pytest.mark.parametrize(
    ("upload", "problem"),
    [
        (b"", ImageProblem.EMPTY),
        (b"Just a note, not a photo.\n" * 20, ImageProblem.NOT_AN_IMAGE),
        (b"GIF89a" + b"\x00" * 100, ImageProblem.NOT_AN_IMAGE),
        (photo_bytes((400, 300))[:2000], ImageProblem.NOT_AN_IMAGE),  # cut short
        (png_claiming(100_000, 100_000), ImageProblem.TOO_MANY_PIXELS),  # Pillow's own refusal
        (png_claiming(4000, 4000), ImageProblem.TOO_MANY_PIXELS),  # 16 MP: over the ceiling
        (png_claiming(2001, 2000), ImageProblem.TOO_MANY_PIXELS),  # just over 4 MP
        (b"\xff\xd8" + b"\x00" * (4 * 1024 * 1024), ImageProblem.TOO_LARGE),
    ],
    ids=["empty", "text", "gif", "truncated", "bomb", "16-mp", "over-4-mp", "over-4mb"],
)
def test_what_is_not_an_acceptable_picture_is_refused(upload, problem):
    with pytest.raises(ImageRejected) as refused:
        process_image(upload)
    assert refused.value.problem is problem


def test_the_same_upload_is_stored_once_per_company(app, console):  # noqa: F811
    upload = photo_bytes((800, 600), orientation=None)
    first = store_image(console.company.id, upload)
    again = store_image(console.company.id, upload)
    elsewhere = store_image(console.other.id, upload)
    db.session.commit()
    assert first.id == again.id
    assert elsewhere.id != first.id


def _voucher_with_picture(console):  # noqa: F811
    image = store_image(console.company.id, photo_bytes((1280, 720), orientation=None))
    db.session.commit()
    voucher = console.voucher(image_id=image.id)
    return voucher, image


def test_media_urls_are_cached_forever_and_revalidate_with_the_etag(app, client, console):  # noqa: F811
    _voucher, image = _voucher_with_picture(console)
    url = f"/media/{image.id}-{image.sha256[:8]}.webp"

    response = client.get(url)

    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.data == image.data
    etag = response.headers["ETag"]
    assert etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    thumb = client.get(f"/media/{image.id}-{image.sha256[:8]}-thumb.webp")
    assert thumb.status_code == 200
    assert thumb.data == image.thumb_data
    assert thumb.headers["ETag"] != etag


def test_unknown_pictures_and_wrong_hashes_answer_404(app, client, console):  # noqa: F811
    _voucher, image = _voucher_with_picture(console)
    assert client.get(f"/media/{image.id + 1}-{image.sha256[:8]}.webp").status_code == 404
    assert client.get(f"/media/{image.id}-00000000.webp").status_code == 404
    assert client.get(f"/media/{image.id}-{image.sha256[:8]}.jpg").status_code == 404
    assert client.get(f"/media/{image.id}.webp").status_code == 404


def test_cards_and_the_voucher_page_show_the_picture_unless_save_data(app, client, console):  # noqa: F811
    voucher, image = _voucher_with_picture(console)
    thumb_url = f"/media/{image.id}-{image.sha256[:8]}-thumb.webp"
    full_url = f"/media/{image.id}-{image.sha256[:8]}.webp"

    feed = client.get("/")
    page = client.get(f"/vouchers/{voucher.id}")

    feed_html, page_html = feed.get_data(as_text=True), page.get_data(as_text=True)
    assert f'src="{thumb_url}" width="160" height="90" alt="" loading="lazy"' in feed_html
    assert f'src="{full_url}" width="640" height="360" alt="" loading="lazy"' in page_html
    assert "Save-Data" in feed.headers["Vary"]
    lighter = client.get("/", headers={"Save-Data": "on"}).get_data(as_text=True)
    assert voucher.title in lighter
    assert "<img" not in lighter
    assert "<img" not in client.get(
        f"/vouchers/{voucher.id}", headers={"Save-Data": "on"}
    ).get_data(as_text=True)


def test_a_feed_page_of_cards_with_pictures_costs_one_more_query(app, client, console):  # noqa: F811
    from tests.support.catalogue import count_queries

    for n in range(8):
        image = store_image(console.company.id, photo_bytes((320 + 8 * n, 180), orientation=None))
        db.session.commit()
        console.voucher(title=f"Voucher {n}", image_id=image.id if n % 2 else None)
    with count_queries() as statements:
        html = client.get("/?page=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.count("<img") == 4
    # the cards, the category chips (page 1 of a list carries its chips), then one query for
    # all the cards' pictures (without their bytes)
    assert len(statements) == 3
    assert sum("FROM categories" in statement for statement in statements) == 1
    assert "thumb_data" not in statements[-1]
