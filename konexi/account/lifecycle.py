"""Download my data, close, reopen and delete an account (views; the rules live in services)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, flash, make_response, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from konexi.account import bp
from konexi.account.forms_lifecycle import ConfirmWithPasswordForm, ExportForm, ReopenForm
from konexi.auth import limits
from konexi.extensions import limiter
from konexi.models import ExportStatus
from konexi.models.base import utcnow
from konexi.services.accounts import account_lifecycle
from konexi.services.accounts.account_lifecycle import (
    ExportLinkError,
    SoleOwnerError,
    companies_only_owned_by,
)
from konexi.services.accounts.accounts import AccountError
from konexi.services.privacy import export_jobs
from konexi.services.privacy import jobs as privacy_jobs
from konexi.services.privacy.export import export_document
from konexi.tasks.queue import enqueue
from konexi.web.htmx import redirect_after_post, render_page_or_fragment

_PURGE_AFTER = "deletion_purge_after"
_CLOSED_PURGE_AFTER = "closed_purge_after"


@bp.get("/export")
@login_required
def export() -> Response:
    """The page, or (for htmx polling) only the status of the export being prepared."""
    return _export_page(ExportForm())


def _export_page(form: ExportForm, error: object = None, status: int = 200) -> Response:
    user = current_user._get_current_object()
    latest = export_jobs.latest_export(user.id)
    file_url = None
    if latest is not None and latest.status == ExportStatus.READY:
        file_url = url_for(
            "account.download_export_file", token=export_jobs.make_file_token(latest, user)
        )
    response = render_page_or_fragment(
        "account/export.html",
        "account/_export_status.html",
        form=form,
        error=error,
        latest=latest,
        file_url=file_url,
    )
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/export")
@login_required
def create_export() -> ResponseReturnValue:
    # CSRFProtect has checked the token; the form has no other field.
    if export_jobs.export_fits_inline(current_user.id):
        token = account_lifecycle.make_export_token(current_user)
        return redirect_after_post(url_for("account.download_export", token=token))
    data_export, created = export_jobs.request_large_export(current_user.id)
    if created:
        enqueue(privacy_jobs.build_data_export, data_export.id, queue_name="default")
    return redirect_after_post(url_for("account.export"))


def _json_attachment(document: str) -> Response:
    response = make_response(document)
    response.mimetype = "application/json"
    filename = f"konexi-data-{utcnow().date().isoformat()}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export/<token>")
@login_required
def download_export(token: str) -> Response:
    try:
        account_lifecycle.check_export_token(token, current_user)
    except ExportLinkError as error:
        return _export_page(ExportForm(), error=error.message, status=400)
    return _json_attachment(export_document(current_user.id))


@bp.get("/export/file/<token>")
@login_required
def download_export_file(token: str) -> Response:
    try:
        data_export = export_jobs.ready_file(token, current_user._get_current_object())
    except ExportLinkError as error:
        return _export_page(ExportForm(), error=error.message, status=400)
    return _json_attachment(data_export.payload or "")


@bp.route("/close", methods=["GET", "POST"])
@login_required
@limiter.limit(limits.PASSWORD_CHANGE_PER_USER, key_func=limits.user_key, methods=["POST"])
def close() -> ResponseReturnValue:
    form = ConfirmWithPasswordForm()
    if form.validate_on_submit():
        try:
            account_lifecycle.close_account(
                current_user._get_current_object(), form.password.data or ""
            )
        except AccountError as error:
            form.show_errors(error)
        except SoleOwnerError:
            return _refused_for_owners("account/close.html", form)
        else:
            purge_after = account_lifecycle.purge_date(current_user.closed_at)
            logout_user()
            # Kept past the logout (which empties the session) for the confirmation page.
            session[_CLOSED_PURGE_AFTER] = purge_after.timestamp()
            flash(_("Your account is closed. Log in within the grace period to reopen it."))
            return redirect_after_post(url_for("account.closed"))
    return _lifecycle_page("account/close.html", form)


def _lifecycle_page(
    template: str, form: ConfirmWithPasswordForm, status: int = 200, **context: object
) -> tuple[str, int]:
    """The close or delete page, telling a company's only owner what to do first."""
    sole_owner_of = companies_only_owned_by(current_user.id)
    return render_template(template, form=form, sole_owner_of=sole_owner_of, **context), status


def _refused_for_owners(template: str, form: ConfirmWithPasswordForm) -> ResponseReturnValue:
    return _lifecycle_page(template, form, status=409, purge_date=account_lifecycle.purge_date())


def _stored_date(key: str) -> datetime | None:
    stamp = session.get(key)
    return datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int | float) else None


@bp.get("/closed")
def closed() -> ResponseReturnValue:
    return render_template("account/close_done.html", purge_date=_stored_date(_CLOSED_PURGE_AFTER))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(limits.PASSWORD_CHANGE_PER_USER, key_func=limits.user_key, methods=["POST"])
def delete() -> ResponseReturnValue:
    form = ConfirmWithPasswordForm()
    if form.validate_on_submit():
        try:
            account_lifecycle.request_deletion(
                current_user._get_current_object(), form.password.data or ""
            )
        except AccountError as error:
            form.show_errors(error)
        except SoleOwnerError:
            return _refused_for_owners("account/delete.html", form)
        else:
            purge_after = current_user.purge_after
            logout_user()
            # Kept past the logout (which empties the session) for the confirmation page.
            session[_PURGE_AFTER] = purge_after.timestamp() if purge_after else None
            return redirect_after_post(url_for("account.deleted"))
    return _lifecycle_page("account/delete.html", form, purge_date=account_lifecycle.purge_date())


@bp.get("/deleted")
def deleted() -> ResponseReturnValue:
    return render_template("account/delete_done.html", purge_date=_stored_date(_PURGE_AFTER))


@bp.route("/reopen", methods=["GET", "POST"])
@limits.login_attempt_limits
def reopen() -> ResponseReturnValue:
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            user = account_lifecycle.reopen_account(
                form.identifier.data or "", form.password.data or ""
            )
        except AccountError as error:
            form.show_errors(error)
        else:
            login_user(user)
            flash(_("Welcome back! Your account is open again."))
            return redirect_after_post(url_for("feed.index"))
    return render_template("account/reopen.html", form=form)
