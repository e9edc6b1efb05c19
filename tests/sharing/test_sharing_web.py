"""Sharing in the browser: the form with and without htmx, the /s/ landing page, and refusals."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from konexi.extensions import db
from konexi.models import Share, Voucher
from konexi.models.base import utcnow
from konexi.services.sharing import sharing
from tests.support.app import csrf_token_of
from tests.support.auth import log_in
from tests.support.factories import make_voucher
from tests.support.sharing import (
    FRIEND_EMAIL,
    FRIEND_LOCAL,
    FRIEND_PHONE,
    HTMX,
    post_share,
    seed_shares,
    share_messages,
    shares,
    token_in,
)


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_share_by_sms_without_js_redirects_to_the_voucher_with_a_note(client, create_user, twilio):
    user = create_user(name="Siti Rahma")
    voucher = make_voucher()
    log_in(client, user)

    response = post_share(client, voucher.id, FRIEND_LOCAL, "Ayo!")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/vouchers/{voucher.id}"
    [sms] = twilio.to(FRIEND_PHONE)
    assert f"http://konexi.test/s/{token_in(sms.body)}" in sms.body
    follow = client.get(f"/vouchers/{voucher.id}/share")  # the next page shows the flash
    assert "Sent to +62812••••••90." in text_of(follow)


def test_share_by_email_with_htmx_swaps_in_a_masked_confirmation(client, create_user, mailbox):
    user = create_user()
    voucher = make_voucher()
    log_in(client, user)

    response = post_share(client, voucher.id, FRIEND_EMAIL, htmx=True)

    assert response.status_code == 200
    html = text_of(response)
    assert "<html" not in html and f'id="share-send-{voucher.id}"' in html
    assert "Sent to b•••@example.com." in html and FRIEND_EMAIL not in html
    assert "HX-Request" in response.headers["Vary"]
    [mail] = mailbox.to(FRIEND_EMAIL)
    assert "/s/" + token_in(mail.text) in mail.text


def test_the_link_works_logged_out_and_counts_opens(client, create_user, twilio):
    voucher = make_voucher(quota_total=50)
    result = sharing.share_voucher(create_user().id, voucher.id, FRIEND_LOCAL, "", None)

    response = client.get(f"/s/{result.token}")

    assert response.status_code == 200
    html = text_of(response)
    assert "Buy 1 get 1 es kopi susu" in html and "Warung Kopi" in html and "Food & drink" in html
    assert "50 left" in html
    assert f'href="/signup?next=/vouchers/{voucher.id}"' in html.replace("%2F", "/")
    assert f'href="/login?next=/vouchers/{voucher.id}"' in html.replace("%2F", "/")
    assert f'href="/vouchers/{voucher.id}"' in html
    assert "Siti" not in html  # nothing about the sender
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert response.headers["Referrer-Policy"] == "same-origin"
    client.get(f"/s/{result.token}", headers={"User-Agent": "WhatsApp/2.23.20.0 A"})  # a preview
    [share] = shares()
    assert share.opened_count == 1


def test_unknown_link_is_not_found_and_an_ended_voucher_says_so(client, create_user, twilio):
    assert client.get("/s/not-a-real-token").status_code == 404
    voucher = make_voucher()
    result = sharing.share_voucher(create_user().id, voucher.id, FRIEND_LOCAL, "", None)
    db.session.get(Voucher, voucher.id).ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    html = text_of(client.get(f"/s/{result.token}"))

    assert "This voucher has ended." in html and 'href="/"' in html
    assert "Sign up to claim" not in html


def test_eleventh_share_of_the_day_gets_a_readable_refusal(client, create_user, twilio):
    user = create_user()
    voucher = make_voucher()
    seed_shares(10, sender_id=user.id, voucher_id=voucher.id, ip="10.7.7.7")
    log_in(client, user)

    response = post_share(client, voucher.id, FRIEND_LOCAL)

    assert response.status_code == 429
    assert "You have shared 10 vouchers today. Try again tomorrow." in text_of(response)
    assert twilio.to(FRIEND_PHONE) == [] and share_messages() == []


def test_one_network_is_limited_across_users(client, create_user):
    other, user = create_user(), create_user()
    voucher = make_voucher()
    seed_shares(500, sender_id=other.id, voucher_id=voucher.id, ip="127.0.0.1")  # the default
    log_in(client, user)

    response = post_share(client, voucher.id, FRIEND_LOCAL, htmx=True)

    assert response.status_code == 200  # htmx swaps only 2xx: the refusal is in the fragment
    assert "Too many vouchers were shared from this network today." in text_of(response)
    assert share_messages() == []


def test_duplicate_recipient_gets_an_error_next_to_the_field(client, create_user, twilio):
    user = create_user()
    voucher = make_voucher()
    log_in(client, user)
    assert post_share(client, voucher.id, FRIEND_LOCAL).status_code == 303

    response = post_share(client, voucher.id, "+62 812-3456-7890")

    assert response.status_code == 422
    html = text_of(response)
    assert 'id="share-contact-error"' in html
    assert "This voucher was already sent to your friend today." in html
    assert len(twilio.to(FRIEND_PHONE)) == 1


def test_links_in_the_message_are_refused_and_the_input_is_kept(client, create_user):
    log_in(client, create_user())
    voucher = make_voucher()

    response = post_share(client, voucher.id, FRIEND_LOCAL, "hadiah di bit.ly/gratis")

    assert response.status_code == 422
    html = text_of(response)
    assert "Links are not allowed in the message." in html
    assert "hadiah di bit.ly/gratis</textarea>" in html and f'value="{FRIEND_LOCAL}"' in html
    assert share_messages() == []


def test_malformed_phone_or_email_shows_a_field_error_with_the_input_kept(client, create_user):
    log_in(client, create_user())
    voucher = make_voucher()

    phone = text_of(post_share(client, voucher.id, "0812-ab"))
    email = text_of(post_share(client, voucher.id, "budi@", htmx=True))

    assert 'value="0812-ab"' in phone and 'aria-invalid="true"' in phone
    assert "Enter a mobile number such as 0812 3456 7890." in phone
    assert 'value="budi@"' in email
    assert "Enter an email address such as name@example.com." in email
    assert share_messages() == []


def test_post_without_csrf_token_is_refused(client, create_user):
    log_in(client, create_user())
    voucher = make_voucher()
    response = client.post(f"/vouchers/{voucher.id}/share", data={"contact": FRIEND_LOCAL})
    assert response.status_code == 400
    assert share_messages() == []


def test_unverified_user_is_sent_to_verify(client, create_user):
    log_in(client, create_user(verified=False))
    voucher = make_voucher()

    page = text_of(client.get(f"/vouchers/{voucher.id}/share"))
    response = post_share(client, voucher.id, FRIEND_LOCAL)

    assert 'name="contact"' not in page and 'href="/verify"' in page
    assert response.status_code == 403
    assert "Verify your phone and email to share vouchers by SMS or email." in text_of(response)
    assert share_messages() == []


def test_logged_out_visitors_get_share_links_and_a_log_in_link(client):
    voucher = make_voucher()

    html = text_of(client.get(f"/vouchers/{voucher.id}/share"))
    posted = client.post(f"/vouchers/{voucher.id}/share", data={"contact": FRIEND_LOCAL})

    assert 'name="contact"' not in html
    assert f"/login?next=/vouchers/{voucher.id}" in html.replace("%2F", "/")
    url = f"http%3A%2F%2Fkonexi.test%2Fvouchers%2F{voucher.id}"
    assert "https://wa.me/?text=Buy+1+get+1+es+kopi+susu+at+Warung+Kopi" in html
    assert url in html
    assert f"https://www.facebook.com/sharer/sharer.php?u={url}" in html
    assert "https://twitter.com/intent/tweet?text=" in html
    assert 'rel="noopener noreferrer" target="_blank"' in html
    assert posted.status_code == 400  # no session, no CSRF token: refused before anything else


def test_anonymous_post_with_a_token_is_sent_to_log_in(client):
    voucher = make_voucher()
    token = csrf_token_of(client)  # the share page has no form (nor token) for anonymous visitors
    response = client.post(
        f"/vouchers/{voucher.id}/share", data={"csrf_token": token, "contact": FRIEND_LOCAL}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


def test_htmx_get_gives_a_fresh_form_fragment(client, create_user):
    log_in(client, create_user())
    voucher = make_voucher()
    response = client.get(f"/vouchers/{voucher.id}/share", headers=HTMX)
    html = text_of(response)
    assert response.status_code == 200 and "<html" not in html and 'name="contact"' in html


def test_the_voucher_page_includes_the_share_buttons(client, create_user):
    log_in(client, create_user())
    voucher = make_voucher()
    response = client.get(f"/vouchers/{voucher.id}")
    html = text_of(response)
    assert response.status_code == 200
    assert f'hx-post="/vouchers/{voucher.id}/share"' in html and "https://wa.me/?text=" in html


def test_ended_or_draft_vouchers_offer_no_share_form(client, create_user):
    log_in(client, create_user())
    ended = make_voucher(ends_at=utcnow() - timedelta(days=1))
    draft = make_voucher(status="draft")
    html = text_of(client.get(f"/vouchers/{ended.id}/share"))
    assert "This voucher can no longer be shared." in html and 'name="contact"' not in html
    assert client.get(f"/vouchers/{draft.id}/share").status_code == 404
    assert client.get("/vouchers/999999/share").status_code == 404
    assert db.session.query(Share).count() == 0
