"""/account overview, /account/profile (name, picture, birth date, favourites), picture URLs."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from konexi.account import bp
from konexi.account.contacts import shown
from konexi.account.forms import PictureForm, ProfileForm
from konexi.auth.limits import picture_upload_limit
from konexi.services.accounts import profile
from konexi.services.accounts.accounts import NotVerified
from konexi.services.images import ImageProblem, ImageRejected
from konexi.web.htmx import redirect_after_post
from konexi.web.pictures import picture_response

# The lifecycle pages the overview links (konexi/account/lifecycle.py).
_LIFECYCLE_ENDPOINTS = frozenset({"account.export", "account.close", "account.delete"})


@bp.get("")
@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template(
        "account/index.html",
        summary=profile.claim_summary(current_user.id),
        lifecycle=_LIFECYCLE_ENDPOINTS,
        contacts=[
            ("email", shown("email", current_user.email), current_user.email_verified_at),
            ("phone", shown("phone", current_user.phone), current_user.phone_verified_at),
        ],
    )


def _render_profile(
    form: ProfileForm, picture_form: PictureForm, status: int = 200
) -> ResponseReturnValue:
    picture = profile.profile_picture(current_user.id)
    return (
        render_template(
            "account/profile.html",
            form=form,
            picture_form=picture_form,
            picture_url=(
                url_for("account.picture", **profile.picture_address(picture)) if picture else None
            ),
            locale=str(get_locale() or "en"),
        ),
        status,
    )


def _with_choices(form: ProfileForm) -> ProfileForm:
    locale = str(get_locale() or "en")
    form.categories.choices = [(c.id, c.name_for(locale)) for c in profile.all_categories()]
    return form


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit_profile() -> ResponseReturnValue:
    if request.method == "GET":
        form = _with_choices(
            ProfileForm(
                formdata=None,
                display_name=current_user.display_name,
                birth_date=current_user.birth_date.isoformat() if current_user.birth_date else "",
                show_birth_date=current_user.show_birth_date,
                categories=profile.favourite_category_ids(current_user.id),
            )
        )
        return _render_profile(form, PictureForm(formdata=None))
    form = _with_choices(ProfileForm())
    if not form.validate():
        return _render_profile(form, PictureForm(formdata=None), 422)
    profile.update_profile(
        current_user.id,
        display_name=form.display_name.data,
        birth_date=form.parsed_birth_date,
        show_birth_date=bool(form.show_birth_date.data),
        category_ids=list(form.categories.data or []),
    )
    flash(_("Your profile is saved."), "success")
    return redirect_after_post(url_for("account.edit_profile"))


def _picture_message(problem: ImageProblem) -> str:
    if problem is ImageProblem.EMPTY:
        return _("Choose a picture to upload.")
    if problem is ImageProblem.TOO_LARGE:
        return _("The picture is too large: at most 4 MB.")
    if problem is ImageProblem.TOO_MANY_PIXELS:
        return _("The picture has too many pixels. Use a smaller photo.")
    return _("Choose a JPEG, PNG or WebP picture.")


@bp.post("/profile/picture")
@login_required
@picture_upload_limit
def upload_picture() -> ResponseReturnValue:
    picture_form = PictureForm()
    upload = picture_form.picture.data
    data = upload.read() if upload is not None and hasattr(upload, "read") else b""
    try:
        profile.set_profile_picture(current_user.id, data)
    except (ImageRejected, NotVerified) as error:
        picture_form.picture.errors = [
            _("Verify your phone and email before you add a picture.")
            if isinstance(error, NotVerified)
            else _picture_message(error.problem)
        ]
        form = _with_choices(
            ProfileForm(
                formdata=None,
                display_name=current_user.display_name,
                birth_date=current_user.birth_date.isoformat() if current_user.birth_date else "",
                show_birth_date=current_user.show_birth_date,
                categories=profile.favourite_category_ids(current_user.id),
            )
        )
        return _render_profile(form, picture_form, 422)
    flash(_("Your picture is saved."), "success")
    return redirect_after_post(url_for("account.edit_profile"))


@bp.post("/profile/picture/remove")
@login_required
def remove_picture() -> ResponseReturnValue:
    profile.remove_profile_picture(current_user.id)
    flash(_("Your picture is removed."), "success")
    return redirect_after_post(url_for("account.edit_profile"))


@bp.get("/picture/<int:user_id>-<string(length=8):digest>.<any(webp, jpg):ext>")
def picture(user_id: int, digest: str, ext: str) -> ResponseReturnValue:
    # Public like the rest of a public profile: the hash in the URL changes with every picture.
    return picture_response(profile.picture_for_serving(user_id, digest), ext)
