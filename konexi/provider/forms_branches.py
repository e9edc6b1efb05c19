"""The branch form. It parses input; the rules (coordinates, phone, consent) live in the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TelField, TextAreaField

from konexi.auth.forms import code_field
from konexi.provider.forms_team import ConsoleForm, strip
from konexi.services.providers.branches import BranchDetails


def _coordinate_kw() -> dict[str, str]:
    return {"inputmode": "decimal", "autocomplete": "off", "maxlength": "32"}


class BranchForm(ConsoleForm):
    name = StringField(_l("Branch name"), filters=[strip], render_kw={"maxlength": 120})
    address = StringField(
        _l("Address"), filters=[strip], render_kw={"maxlength": 255, "autocomplete": "off"}
    )
    city = StringField(_l("City"), filters=[strip], render_kw={"maxlength": 80})
    latitude = StringField(_l("Latitude"), filters=[strip], render_kw=_coordinate_kw())
    longitude = StringField(_l("Longitude"), filters=[strip], render_kw=_coordinate_kw())
    opening_hours = TextAreaField(
        _l("Opening hours"), filters=[strip], render_kw={"rows": 3, "maxlength": 500}
    )
    phone = TelField(
        _l("Customer-service phone"),
        filters=[strip],
        render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": "32"},
    )
    phone_consent = BooleanField(
        _l("The owner of this number agreed to have it shown to customers.")
    )

    def details(self) -> BranchDetails:
        """The typed values for the branch service."""
        return BranchDetails(
            name=self.name.data or "",
            address=self.address.data or "",
            city=self.city.data or "",
            latitude=self.latitude.data or "",
            longitude=self.longitude.data or "",
            opening_hours=self.opening_hours.data or "",
            phone=self.phone.data or "",
            phone_consent=bool(self.phone_consent.data),
        )


class BranchPhoneCodeForm(ConsoleForm):
    """The code texted to a branch phone, typed to prove the company holds the number."""

    code = code_field(_l("Code from the SMS"))
