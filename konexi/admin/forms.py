"""The category form. It parses input; the rules (slug shape, lengths) live in the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from konexi.provider.forms_team import ConsoleForm, strip
from konexi.services.catalogue.categories import MAX_NAME, MAX_SLUG, CategoryDetails


class CategoryForm(ConsoleForm):
    slug = StringField(
        _l("Slug (in feed links)"),
        filters=[strip],
        render_kw={"maxlength": MAX_SLUG, "autocomplete": "off", "autocapitalize": "none"},
    )
    name_en = StringField(_l("Name in English"), filters=[strip], render_kw={"maxlength": MAX_NAME})
    name_id = StringField(
        _l("Name in Indonesian"), filters=[strip], render_kw={"maxlength": MAX_NAME}
    )

    def details(self) -> CategoryDetails:
        """The typed values for the category service."""
        return CategoryDetails(
            slug=self.slug.data or "",
            name_en=self.name_en.data or "",
            name_id=self.name_id.data or "",
        )
