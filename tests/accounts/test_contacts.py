"""Phone numbers and emails are read as people type them and stored in one form."""

import pytest

from konexi.services.accounts.contacts import (
    InvalidContact,
    display_phone,
    normalise_email,
    normalise_identifier,
    normalise_phone,
)


@pytest.mark.parametrize(
    "typed",
    ["081234567890", "0812 3456 7890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890"],
)
def test_indonesian_mobile_numbers_are_stored_in_e164(typed):
    assert normalise_phone(typed) == "+6281234567890"


def test_foreign_mobile_numbers_keep_their_country():
    assert normalise_phone("+65 8123 4567") == "+6581234567"


@pytest.mark.parametrize("typed", ["", "   ", "08123", "hello", "0812345678901234567", "+62"])
def test_malformed_numbers_are_refused(typed):
    with pytest.raises(InvalidContact):
        normalise_phone(typed)


def test_landlines_are_refused_because_they_cannot_receive_sms():
    with pytest.raises(InvalidContact) as error:
        normalise_phone("021 5551 234")
    assert "SMS" in str(error.value.message)


def test_email_domain_is_lower_cased_and_local_part_kept():
    assert normalise_email("  Siti.Rahma@Example.COM ") == "Siti.Rahma@example.com"


@pytest.mark.parametrize(
    "typed", ["", "siti", "siti@", "@example.com", "siti@example", "a b@c.com"]
)
def test_malformed_emails_are_refused(typed):
    with pytest.raises(InvalidContact):
        normalise_email(typed)


def test_login_identifier_is_an_email_or_a_phone():
    assert normalise_identifier("Siti@Example.com") == ("email", "Siti@example.com")
    assert normalise_identifier("0812 3456 7890") == ("phone", "+6281234567890")
    with pytest.raises(InvalidContact):
        normalise_identifier("not a number")


def test_stored_numbers_are_shown_in_international_format():
    assert display_phone("+6281234567890") == "+62 812-3456-7890"
