"""Console vouchers: the list, create, edit, and publish/pause/resume/end."""

from __future__ import annotations

from flask import Response, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from konexi.auth.limits import picture_upload_limit
from konexi.i18n import local_time
from konexi.models import Voucher, VoucherStatus
from konexi.models.base import utcnow
from konexi.provider import bp
from konexi.provider.access import company_object_or_404, current_company_id, provider_required
from konexi.provider.forms_vouchers import VoucherForm
from konexi.services.providers import provider_vouchers
from konexi.services.providers.provider_voucher_list import company_vouchers, form_choices
from konexi.services.providers.provider_vouchers import StatusChange, VoucherInvalid
from konexi.web.htmx import redirect_after_post, render_page_or_fragment


@bp.get("/vouchers")
@provider_required("manage_vouchers")
def vouchers() -> ResponseReturnValue:
    rows = company_vouchers(current_company_id())
    return render_page_or_fragment(
        "provider/vouchers/index.html", "provider/vouchers/_list.html", rows=rows
    )


@bp.route("/vouchers/new", methods=["GET", "POST"])
@provider_required("manage_vouchers")
@picture_upload_limit
def voucher_new() -> ResponseReturnValue:
    company_id = current_company_id()
    if request.method == "GET":
        form = VoucherForm.for_new_voucher(utcnow())
    else:
        form = VoucherForm()
    form.offer(form_choices(company_id))
    if form.is_submitted():
        publish = bool(form.publish.data)
        try:
            provider_vouchers.create_voucher(company_id, form.fields(), publish=publish)
        except VoucherInvalid as error:
            form.show(error)
        else:
            flash(_("The voucher is live.") if publish else _("Saved as a draft."))
            return redirect_after_post(url_for("provider.vouchers"))
    return _form_page("provider/vouchers/new.html", form, None)


@bp.route("/vouchers/<int:voucher_id>/edit", methods=["GET", "POST"])
@provider_required("manage_vouchers")
@picture_upload_limit
def voucher_edit(voucher_id: int) -> ResponseReturnValue:
    voucher = company_object_or_404(Voucher, voucher_id)
    form = VoucherForm().offer(form_choices(voucher.company_id, voucher.category_id))
    if form.is_submitted():
        try:
            provider_vouchers.update_voucher(voucher.company_id, voucher.id, form.fields())
        except VoucherInvalid as error:
            form.show(error)
        else:
            flash(_("Your changes are saved."))
            return redirect_after_post(url_for("provider.vouchers"))
    else:
        form.fill_from(voucher)
    return _form_page("provider/vouchers/edit.html", form, voucher)


def _form_page(page: str, form: VoucherForm, voucher: Voucher | None) -> Response:
    """The form page (or the form alone for htmx); 422 when a submitted form is refused."""
    response = render_page_or_fragment(
        page, "provider/vouchers/_form.html", form=form, voucher=voucher
    )
    if form.is_submitted():
        response.status_code = 422
    return response


def _status_message(action: str, outcome: StatusChange, voucher: Voucher) -> tuple[str, str]:
    if outcome is StatusChange.ENDS_IN_PAST:
        return _("Its end time has passed: change the end time first."), "error"
    if outcome is not StatusChange.DONE:
        return _("That change is not possible for this voucher now."), "error"
    messages = {
        "publish": _("Published: the voucher is live."),
        "pause": _("Paused: nobody can claim it until you resume it."),
        "resume": _("Resumed: the voucher is live again."),
        "end": _(
            "Ended: nobody can claim it any more. Codes already claimed stay valid until %(date)s.",
            date=local_time(voucher.ends_at),
        ),
    }
    return messages[action], "message"


@bp.post("/vouchers/<int:voucher_id>/status")
@provider_required("manage_vouchers")
def voucher_status(voucher_id: int) -> ResponseReturnValue:
    voucher = company_object_or_404(Voucher, voucher_id)
    action = request.form.get("action", "")
    if (
        action == "end"
        and request.form.get("confirm") != "1"
        and voucher.status != VoucherStatus.ENDED
    ):
        return render_template("provider/vouchers/end.html", voucher=voucher)
    outcome = provider_vouchers.change_status(voucher.company_id, voucher.id, action)
    message, category = _status_message(action, outcome, voucher)
    flash(message, category)
    return redirect_after_post(url_for("provider.vouchers"))
