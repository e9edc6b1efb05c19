"""The voucher form: it reads what was typed (Jakarta time, whole numbers, a file); rules live in
``konexi.services.providers.provider_vouchers``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import DateTimeLocalInput, NumberInput

from konexi.i18n import DEFAULT_TIMEZONE, current_language
from konexi.models import Voucher
from konexi.services.providers.provider_voucher_list import FormChoices
from konexi.services.providers.provider_vouchers import (
    MAX_TEXT,
    MAX_TITLE,
    VoucherFields,
    VoucherInvalid,
)
from konexi.web.routing import id_or_none
from konexi.web.web_forms import KonexiForm

LOCAL_ZONE = ZoneInfo(DEFAULT_TIMEZONE)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
FIRST_YEAR, LAST_YEAR = 2000, 2099
_LOCAL_INPUT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?")
_GROUPED = re.compile(r"\d{1,3}([.,]\d{3})+")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _int_or_none(value: object) -> int | None:
    return id_or_none(value)  # beyond the id range is no id: the database would refuse it


class WholeNumberField(IntegerField):
    """An integer; "1.000" (Indonesian grouping) is a thousand; anything else is an error."""

    widget = NumberInput(min=1)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        raw = valuelist[0].strip()
        if _GROUPED.fullmatch(raw):
            raw = raw.replace(".", "").replace(",", "")
        if not raw:
            self.data = None
        elif raw.isdigit():
            self.data = int(raw)
        else:
            self.data = None
            raise ValueError(_l("Enter a whole number."))


class JakartaDateTimeField(Field):
    """A ``datetime-local`` input read as Asia/Jakarta time; ``data`` is UTC."""

    widget = DateTimeLocalInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, datetime):
            return self.data.astimezone(LOCAL_ZONE).strftime(LOCAL_FORMAT)
        return ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.data = None
        match = _LOCAL_INPUT.fullmatch(valuelist[0].strip())
        if match is None:
            raise ValueError(_l("Enter a date and time, e.g. 2026-12-31 18:00."))
        try:
            local = datetime.strptime(
                f"{match[1]}T{int(match[2]):02d}:{match[3]}", LOCAL_FORMAT
            ).replace(tzinfo=LOCAL_ZONE)
        except ValueError as error:
            raise ValueError(_l("Enter a date and time, e.g. 2026-12-31 18:00.")) from error
        # Year 1 in Jakarta is before year 1 in UTC (OverflowError); far years overflow the
        # date arithmetic elsewhere. No voucher runs outside these years.
        if not FIRST_YEAR <= local.year <= LAST_YEAR:
            raise ValueError(
                _l(
                    "Enter a date between the years %(first)d and %(last)d.",
                    first=FIRST_YEAR,
                    last=LAST_YEAR,
                )
            )
        self.data = local.astimezone(UTC)


class VoucherForm(KonexiForm):
    class Meta:
        # CSRFProtect checks every POST (the template includes csrf_token in the multipart body).
        csrf = False

    form_error: object | None = None  # a message, maybe a lazy one
    title = StringField(_l("Title"), filters=[_strip], render_kw={"maxlength": MAX_TITLE})
    description = TextAreaField(
        _l("Description"), filters=[_strip], render_kw={"maxlength": MAX_TEXT, "rows": 3}
    )
    terms = TextAreaField(
        _l("Terms"), filters=[_strip], render_kw={"maxlength": MAX_TEXT, "rows": 3}
    )
    category_id = SelectField(_l("Category"), coerce=_int_or_none, validate_choice=False)
    quota_total = WholeNumberField(_l("Total vouchers"), render_kw={"inputmode": "numeric"})
    per_user_limit = WholeNumberField(_l("Per person"), render_kw={"inputmode": "numeric"})
    allow_regift = BooleanField(_l("A voucher received as a gift may be given again"))
    starts_at = JakartaDateTimeField(_l("Starts (Jakarta time)"))
    ends_at = JakartaDateTimeField(_l("Ends (Jakarta time)"))
    branch_ids = SelectMultipleField(_l("Valid at"), coerce=_int_or_none, validate_choice=False)
    image = FileField(_l("Picture"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    kept_image_id = HiddenField()
    remove_image = BooleanField(_l("Remove the picture"))
    publish = SubmitField(_l("Publish now"))

    @classmethod
    def for_new_voucher(cls, now: datetime) -> VoucherForm:
        """An empty form starting at the next full hour and running 30 days, one per person."""
        start = now.astimezone(LOCAL_ZONE).replace(minute=0, second=0, microsecond=0)
        start += timedelta(hours=1)
        return cls(
            data={"starts_at": start, "ends_at": start + timedelta(days=30), "per_user_limit": 1}
        )

    def offer(self, choices: FormChoices) -> VoucherForm:
        """Fill the category and branch choices."""
        self.category_id.choices = [("", _l("Choose…"))] + [
            (category.id, category.name_for(current_language())) for category in choices.categories
        ]
        self.branch_ids.choices = [(branch.id, branch.name) for branch in choices.branches]
        return self

    def fill_from(self, voucher: Voucher) -> None:
        """Show a voucher's current values (on GET of the edit page)."""
        self.process(
            data={
                "title": voucher.title,
                "description": voucher.description,
                "terms": voucher.terms,
                "category_id": voucher.category_id,
                "quota_total": voucher.quota_total,
                "per_user_limit": voucher.per_user_limit,
                "allow_regift": voucher.allow_regift,
                "starts_at": voucher.starts_at,
                "ends_at": voucher.ends_at,
                "branch_ids": [branch.id for branch in voucher.branches],
            }
        )

    def fields(self) -> VoucherFields:
        """What was typed, for the service; fields that could not be read are named as such."""
        self.validate()
        upload = self.image.data
        data = upload.read() if upload is not None and getattr(upload, "filename", None) else None
        return VoucherFields(
            title=self.title.data or "",
            description=self.description.data or "",
            terms=self.terms.data or "",
            category_id=self.category_id.data,
            quota_total=self.quota_total.data,
            per_user_limit=self.per_user_limit.data,
            allow_regift=bool(self.allow_regift.data),
            starts_at=self.starts_at.data,
            ends_at=self.ends_at.data,
            branch_ids=tuple(i for i in (self.branch_ids.data or []) if i is not None),
            image_upload=data,
            kept_image_id=_int_or_none(self.kept_image_id.data),
            remove_image=bool(self.remove_image.data),
            unreadable=frozenset(name for name, field in self._fields.items() if field.errors),
        )

    def show(self, error: VoucherInvalid) -> None:
        """Put the service's messages next to their fields; keep an accepted picture."""
        for name, message in error.errors.items():
            field = self._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, message]
        self.form_error = error.errors.get("form")
        if error.image_id is not None:
            self.kept_image_id.data = str(error.image_id)
