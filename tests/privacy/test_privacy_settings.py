"""Privacy settings: each switch saves at once with htmx, or all together with the plain form."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models import User
from konexi.models.preferences import UserLocation
from konexi.services.privacy.privacy_settings import PRIVACY_SETTINGS
from tests.support.app import csrf_token_from
from tests.support.auth import log_in

HTMX = {"HX-Request": "true"}


def _token(client: FlaskClient) -> str:
    return csrf_token_from(client.get("/account/privacy").get_data(as_text=True))


@pytest.mark.parametrize("name", PRIVACY_SETTINGS)
def test_each_setting_saves_at_once_with_htmx(client, create_user, name: str) -> None:
    user = create_user()
    user_id = user.id
    log_in(client, user)
    token = _token(client)
    response = client.post(
        f"/account/privacy/{name}", data={"csrf_token": token, name: "y"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert "Saved" in html and "checked" in html
    db.session.expire_all()
    assert getattr(db.session.get(User, user_id), name) is True

    response = client.post(f"/account/privacy/{name}", data={"csrf_token": token}, headers=HTMX)
    assert "checked" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert getattr(db.session.get(User, user_id), name) is False


def test_plain_form_saves_every_setting_and_redirects(client, create_user) -> None:
    user = create_user()
    user_id = user.id
    log_in(client, user)
    data = {"csrf_token": _token(client), "findable_by_email": "y", "marketing_email": "y"}
    response = client.post("/account/privacy", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(User, user_id)
    assert saved.findable_by_email and saved.marketing_email
    assert not saved.personalisation_enabled
    assert not saved.store_location and not saved.sms_notifications
    page = client.get("/account/privacy").get_data(as_text=True)
    assert "Your privacy settings are saved." in page


def test_turning_off_store_location_forgets_the_stored_location(client, create_user) -> None:
    user = create_user()
    user.store_location = True
    db.session.add(UserLocation(user_id=user.id, latitude=-6.2, longitude=106.8))
    db.session.commit()
    user_id = user.id
    log_in(client, user)
    client.post(
        "/account/privacy/store_location", data={"csrf_token": _token(client)}, headers=HTMX
    )
    db.session.expire_all()
    assert db.session.get(UserLocation, user_id) is None
    assert db.session.get(User, user_id).store_location is False


def test_a_post_without_csrf_token_is_refused(client, create_user) -> None:
    user = create_user()
    log_in(client, user)
    response = client.post("/account/privacy", data={"marketing_email": "y"})
    assert response.status_code == 400


def test_opting_in_again_lifts_an_earlier_unsubscribe(app, create_user):
    from konexi.services.privacy.privacy_settings import set_privacy_setting
    from konexi.services.privacy.unsubscribe import is_suppressed, process_unsubscribe

    user = create_user()
    set_privacy_setting(user.id, "marketing_email", True)
    process_unsubscribe(user.id)
    assert is_suppressed(user.email)
    set_privacy_setting(user.id, "marketing_email", True)
    assert not is_suppressed(user.email)
