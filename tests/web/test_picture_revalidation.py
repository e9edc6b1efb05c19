"""A stored picture is long-cacheable and revalidates: the same ETag back gets a 304 with no
body (konexi/web/pictures.py), both for the owner's URL and the public profile's."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image as PILImage

from konexi.models import User
from konexi.services.accounts import profile
from konexi.web.pictures import CACHE_FOREVER


def test_a_picture_answers_a_matching_etag_with_304_and_no_body(
    client, create_user: Callable[..., User]
) -> None:
    person = create_user(name="Sari Wulandari", email="sari@example.com", phone="+6281311113333")
    upload = io.BytesIO()
    PILImage.new("RGB", (40, 40), (200, 60, 20)).save(upload, "JPEG")
    stored = profile.set_profile_picture(person.id, upload.getvalue())
    url = f"/people/{person.public_id}/picture-{stored.sha256[:8]}.{stored.extension}"

    first = client.get(url)
    assert first.status_code == 200 and first.data == stored.data
    assert first.headers["Cache-Control"] == CACHE_FOREVER
    etag = first.headers["ETag"]

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
