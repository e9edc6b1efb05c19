"""Team and company forms. They parse input; the rules live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from konexi.web.routing import id_or_none
from konexi.web.web_forms import KonexiForm


class ConsoleForm(KonexiForm):
    class Meta:
        # CSRFProtect checks every POST (the hidden input, or htmx's X-CSRFToken header).
        csrf = False


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def int_or_none(value: object) -> int | None:
    """Select values arrive as text; anything that is not a number means "none"."""
    return id_or_none(value)  # out of the id range is "none" too (the database refuses it)


class InviteForm(ConsoleForm):
    email = EmailField(
        _l("Email"),
        filters=[strip],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    role = SelectField(_l("Role"), validate_choice=False)


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; values that are not offered are left to the service."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [v for v in (int_or_none(x) for x in valuelist) if v is not None]

    def pre_validate(self, form: KonexiForm) -> None:
        pass


class MemberForm(ConsoleForm):
    role = SelectField(_l("Role"), validate_choice=False)
    branches = CheckboxesField(_l("Branches where they redeem"), coerce=int)


class CompanyForm(ConsoleForm):
    name = StringField(_l("Company name"), filters=[strip], render_kw={"maxlength": 120})
    description = TextAreaField(
        _l("Description"), filters=[strip], render_kw={"rows": 4, "maxlength": 2000}
    )
    category = SelectField(_l("Category"), coerce=int_or_none, validate_choice=False)


class NewCompanyForm(CompanyForm):
    slug = StringField(
        _l("Web address"),
        filters=[strip],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "maxlength": 60},
    )
