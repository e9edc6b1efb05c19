"""A link in a message points at BASE_URL, whatever Host the request that caused it named."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from konexi.models import User
from tests.servers.fake_twilio import FakeTwilio
from tests.support.auth import AuthActions
from tests.support.factories import make_voucher
from tests.support.sharing import FRIEND_LOCAL, FRIEND_PHONE, post_share, token_in


def test_a_share_posted_with_a_forged_host_links_to_the_base_url(
    client: FlaskClient, auth: AuthActions, create_user: Callable[..., User], twilio: FakeTwilio
) -> None:
    auth.log_in(create_user(name="Siti Rahma"))
    voucher_id = make_voucher().id
    client.environ_base["HTTP_HOST"] = "evil.example"

    assert post_share(client, voucher_id, FRIEND_LOCAL).status_code == 303

    [sms] = twilio.to(FRIEND_PHONE)
    assert "evil.example" not in sms.body
    assert sms.body.endswith(f"http://konexi.test/s/{token_in(sms.body)}")
