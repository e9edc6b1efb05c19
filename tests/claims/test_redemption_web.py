"""/provider/redeem in the browser: who may use it, lookup by phone, confirm by code, races."""

from __future__ import annotations

import re
import threading

import pytest

from konexi.models import Claim
from tests.support.app import csrf_token_from
from tests.support.factories import fresh, make_member
from tests.support.redemption import (
    CUSTOMER_LOCAL,
    CUSTOMER_PHONE,
    access_rows,
    confirm,
    lookup,
    make_counter,
    receipts,
    staff_client,
    token,
)

ROLES = ("owner", "admin", "staff", "staff_elsewhere", "other_admin", "stranger", "anonymous")
# What each person gets from the page, a lookup at the staff member's branch, and a confirm there.
PAGE = {"stranger": 404, "anonymous": 302}
LOOKUP = {"staff_elsewhere": 422, "other_admin": 422, "stranger": 404, "anonymous": 302}
ALLOWED = {"owner", "admin", "staff"}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_look_up_and_redeem_at_a_branch(app, create_user, twilio, role):
    c = make_counter(create_user)
    here_id, claim_id, code = c.here.id, c.claim.id, c.claim.code
    if role == "anonymous":
        client = app.test_client()
        csrf = csrf_token_from(client.get("/login").get_data(as_text=True))
    else:
        client = staff_client(app, getattr(c, role))
        csrf = token(client) if role != "stranger" else _any_token(client)

    page = client.get("/provider/redeem")
    found = lookup(client, here_id, CUSTOMER_PHONE, csrf=csrf)
    redeemed = confirm(client, here_id, claim_id, code, csrf=csrf)

    assert page.status_code == PAGE.get(role, 200)
    assert found.status_code == LOOKUP.get(role, 200)
    shown = "Rina Customer" in found.get_data(as_text=True)
    assert shown is (role in ALLOWED)
    assert len(access_rows()) == (2 if role in ALLOWED else 0)  # the lookup, the redemption
    assert fresh(Claim, claim_id).status == ("redeemed" if role in ALLOWED else "active")
    if role == "anonymous":
        assert "/login" in found.headers["Location"] and "/login" in redeemed.headers["Location"]
    elif role in ALLOWED:
        assert redeemed.status_code == 303
    else:
        assert redeemed.status_code in (404, 422)


def _any_token(client) -> str:
    return csrf_token_from(client.get("/me/vouchers").get_data(as_text=True))


@pytest.mark.parametrize("typed", [CUSTOMER_LOCAL, "+62 812 7777 0001", "6281277770001"])
def test_lookup_by_local_or_international_number_shows_the_customer(
    app, create_user, twilio, typed
):
    c = make_counter(create_user)
    client = staff_client(app, c.staff)

    response = lookup(client, c.here.id, typed, htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="redeem"' in html  # the work area only
    assert "Rina Customer" in html and "+62 812-7777-0001" in html
    assert "Buy 1 get 1 es kopi susu" in html
    assert c.claim.code not in html  # the customer shows the code, staff never see it
    assert f'name="claim_id" value="{c.claim.id}"' in html
    [row] = access_rows()
    assert (row.staff_user_id, row.claim_id, row.purpose) == (c.staff.id, c.claim.id, "lookup")


def test_unknown_and_claimless_numbers_get_the_same_answer_and_nothing_is_logged(app, create_user):
    c = make_counter(create_user)
    create_user(name="Budi Registered", phone="+6281299990000")
    client = staff_client(app, c.admin)
    message = f"No live vouchers for this number at {c.company.name}."

    registered = lookup(client, c.here.id, "0812 9999 0000").get_data(as_text=True)
    unknown = lookup(client, c.here.id, "0813 1111 2222").get_data(as_text=True)

    assert message in registered and message in unknown
    assert "Budi" not in registered
    assert access_rows() == []


def test_a_mistyped_number_keeps_the_input_with_an_error_next_to_it(app, create_user):
    c = make_counter(create_user)
    client = staff_client(app, c.owner)

    response = lookup(client, c.here.id, "0812-12")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="0812-12"' in html
    assert 'class="field-error" id="phone-error"' in html
    assert "Enter a mobile number such as 0812 3456 7890." in html


def test_the_chosen_branch_is_remembered_and_staff_see_only_theirs(app, create_user):
    c = make_counter(create_user)
    owner = staff_client(app, c.owner)
    lookup(owner, c.elsewhere.id, CUSTOMER_PHONE)

    page = owner.get("/provider/redeem").get_data(as_text=True)
    staff_page = staff_client(app, c.staff).get("/provider/redeem").get_data(as_text=True)

    assert f'<option selected value="{c.elsewhere.id}">' in page
    assert "Closed" not in page  # a closed branch is not offered
    assert f"Branch: {c.here.name}" in staff_page and c.elsewhere.name not in staff_page


def test_staff_without_a_branch_are_told_to_ask_an_admin(app, create_user):
    c = make_counter(create_user)
    newcomer = create_user(name="Newcomer")
    make_member(c.company, newcomer, "staff")

    html = staff_client(app, newcomer).get("/provider/redeem").get_data(as_text=True)

    assert "You are not assigned to a branch yet." in html
    assert "provider/redeem/lookup" not in html


def test_redeem_with_htmx_shows_the_result_and_texts_a_receipt(app, create_user, twilio):
    c = make_counter(create_user)
    client = staff_client(app, c.staff)

    response = confirm(client, c.here.id, c.claim.id, c.claim.code.lower(), htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert re.search(
        rf"Redeemed: Buy 1 get 1 es kopi susu for Rina Customer at {c.here.name}, ", html
    )
    assert fresh(Claim, c.claim.id).status == "redeemed"
    [sms] = twilio.to(CUSTOMER_PHONE)
    assert "redeemed at" in sms.body
    assert [m.status for m in receipts(c.customer.id)] == ["sent"]


def test_redeem_without_javascript_by_the_last_four(app, create_user, twilio):
    c = make_counter(create_user)
    client = staff_client(app, c.owner)

    response = confirm(client, c.here.id, c.claim.id, c.claim.code[-4:].lower())

    assert response.status_code == 303 and response.headers["Location"] == "/provider/redeem"
    page = client.get("/provider/redeem").get_data(as_text=True)
    assert "Redeemed: Buy 1 get 1 es kopi susu for Rina Customer" in page
    assert fresh(Claim, c.claim.id).redeemed_branch_id == c.here.id


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Enter the code the customer shows."),
        ("AB", "Enter the full code or its last 4 characters."),
        ("XXXX", "This code does not match the voucher. Check it with the customer."),
    ],
)
def test_a_wrong_code_is_shown_next_to_its_field_with_the_list_again(
    app, create_user, twilio, typed, error
):
    c = make_counter(create_user)
    client = staff_client(app, c.staff)

    response = confirm(client, c.here.id, c.claim.id, typed)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="code-{c.claim.id}-error">{error}</p>' in html
    assert f'value="{typed}"' in html and 'aria-invalid="true"' in html
    assert "Rina Customer" in html
    assert fresh(Claim, c.claim.id).status == "active" and twilio.messages == []


def test_a_second_attempt_later_says_already_redeemed_where_and_when(app, create_user, twilio):
    c = make_counter(create_user)
    confirm(staff_client(app, c.staff), c.here.id, c.claim.id, c.claim.code)

    again = confirm(staff_client(app, c.admin), c.elsewhere.id, c.claim.id, c.claim.code, htmx=True)

    html = again.get_data(as_text=True)
    assert re.search(rf"Already redeemed at {c.here.name}, \d\d:\d\d\.", html), html
    assert len(twilio.to(CUSTOMER_PHONE)) == 1


def test_redemption_race_through_the_console(app, create_user, twilio):
    """Two staff press Redeem at the same instant: one redeems, the other is told it's done."""
    c = make_counter(create_user)
    clients = [staff_client(app, c.staff), staff_client(app, c.owner)]
    tokens = [token(client) for client in clients]
    here_id, claim_id, code = c.here.id, c.claim.id, c.claim.code
    barrier = threading.Barrier(2)
    pages: list[str] = []
    errors: list[BaseException] = []

    def press(client, csrf) -> None:
        try:
            barrier.wait(timeout=30)
            response = confirm(client, here_id, claim_id, code, htmx=True, csrf=csrf)
            pages.append(response.get_data(as_text=True))
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    redeemed = [page for page in pages if "Redeemed: Buy 1 get 1" in page]
    already = [page for page in pages if f"Already redeemed at {c.here.name}, " in page]
    assert (len(redeemed), len(already)) == (1, 1)
    assert len(twilio.to(CUSTOMER_PHONE)) == 1


def test_failed_lookups_are_rate_limited_per_staff_member(app, create_user):
    c = make_counter(create_user)
    client = staff_client(app, c.staff)
    csrf = token(client)

    for _ in range(12):  # lookups that find the customer do not count
        assert lookup(client, c.here.id, CUSTOMER_PHONE, csrf=csrf).status_code == 200
    statuses = [
        lookup(client, c.here.id, f"0813 1111 22{n:02d}", csrf=csrf).status_code for n in range(11)
    ]

    assert statuses == [200] * 10 + [429]
    assert lookup(client, c.here.id, CUSTOMER_PHONE, csrf=csrf).status_code == 429
    colleague = staff_client(app, c.owner)
    assert lookup(colleague, c.here.id, CUSTOMER_PHONE).status_code == 200


def test_console_posts_need_the_csrf_token(app, create_user):
    c = make_counter(create_user)
    client = staff_client(app, c.staff)

    response = client.post(
        "/provider/redeem/lookup", data={"branch_id": c.here.id, "phone": CUSTOMER_PHONE}
    )

    assert response.status_code == 400
    assert access_rows() == []


def test_the_console_links_to_redeem(app, create_user):
    c = make_counter(create_user)

    html = staff_client(app, c.staff).get("/provider/").get_data(as_text=True)

    assert 'href="/provider/redeem"' in html
