"""What others see of a profile can be built anywhere (a job, the CLI), not only in a request."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, has_request_context

from konexi.models import User
from konexi.services.accounts.profile import public_profile, set_profile_picture
from tests.support.console import photo_bytes


def test_a_public_profile_outside_a_request_links_the_picture_under_the_base_url(
    app: Flask, create_user: Callable[..., User]
) -> None:
    user = create_user(name="Siti Rahma")
    picture = set_profile_picture(user.id, photo_bytes(size=(300, 300), gps=False))
    assert not has_request_context()

    link = public_profile(user)["picture_url"]

    digest = picture.sha256[:8]
    assert link == f"http://konexi.test/account/picture/{user.id}-{digest}.{picture.extension}"
    served = app.test_client().get(link.removeprefix("http://konexi.test"))
    assert served.status_code == 200
    assert served.content_type == f"image/{'jpeg' if picture.extension == 'jpg' else 'webp'}"
