"""Review and report forms. They parse input; the rules live in
konexi/services/reviews/reviews.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from konexi.models.reviews import MAX_REVIEW_CHARS, ReportReason
from konexi.web.web_forms import KonexiForm


class _Form(KonexiForm):
    class Meta:
        # CSRFProtect checks every POST already (see konexi/auth/forms.py).
        csrf = False


def _clean_text(value: str | None) -> str | None:
    """Trimmed, with browser line breaks (CRLF) counted as one character, as typed."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").strip()


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _one_to_five(_form: KonexiForm, field: RadioField) -> None:
    if field.data not in (1, 2, 3, 4, 5):
        raise ValidationError(_l("Choose a rating from 1 to 5 stars."))


def _known_reason(_form: KonexiForm, field: SelectField) -> None:
    if field.data not in REASON_LABELS:
        raise ValidationError(_l("Choose why you are reporting this review."))


RATING_LABELS = {
    5: _l("5 stars: excellent"),
    4: _l("4 stars: good"),
    3: _l("3 stars: okay"),
    2: _l("2 stars: poor"),
    1: _l("1 star: bad"),
}

# Keyed by str: the reason passed in may be the stored string, equal to its ReportReason.
REASON_LABELS: dict[str, object] = {
    ReportReason.SPAM: _l("Spam or advertising"),
    ReportReason.OFFENSIVE: _l("Offensive or hateful"),
    ReportReason.PERSONAL_INFO: _l("Shares someone's personal information"),
    ReportReason.NOT_GENUINE: _l("Not about a real visit"),
    ReportReason.OTHER: _l("Something else"),
}

TEXT_TOO_LONG = _l("Keep it to %(max)d characters or fewer.")


class ReviewForm(_Form):
    rating = RadioField(
        _l("Your rating"),
        choices=[SelectChoice(str(value), label) for value, label in RATING_LABELS.items()],
        coerce=_as_int,
        validate_choice=False,
        validators=[_one_to_five],
    )
    text = TextAreaField(
        _l("Your review (optional)"),
        filters=[_clean_text],
        validators=[Length(max=MAX_REVIEW_CHARS, message=TEXT_TOO_LONG)],
        render_kw={"rows": "5", "maxlength": str(MAX_REVIEW_CHARS)},
    )


class ReportForm(_Form):
    reason = SelectField(
        _l("Why are you reporting it?"),
        choices=[SelectChoice(value, label) for value, label in REASON_LABELS.items()],
        validate_choice=False,
        validators=[_known_reason],
    )


def reason_label(reason: str) -> str:
    """The translated label of a report reason (for the moderation queue)."""
    return str(REASON_LABELS.get(reason, reason))
