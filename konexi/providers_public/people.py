"""Public profiles (``/people/<public id>``), linked from the reviews people leave."""

from __future__ import annotations

from flask import Response, abort, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from konexi.models import ProfilePicture
from konexi.providers_public import bp
from konexi.services.accounts import public_profiles
from konexi.services.catalogue.catalogue import clean_page
from konexi.web.htmx import render_page_or_fragment
from konexi.web.pictures import picture_response


@bp.app_template_global()
def public_picture_url(public_id: str, picture: ProfilePicture) -> str:
    """The picture's URL under the public id (the numeric account id stays private)."""
    return url_for(
        "providers.person_picture",
        public_id=public_id,
        digest=picture.sha256[:8],
        ext=picture.extension,
    )


@bp.get("/people/<public_id>")
def person(public_id: str) -> BaseResponse:
    profile = public_profiles.public_profile(public_id, clean_page(request.args.get("page")))
    if profile is None:
        abort(404)
    return render_page_or_fragment("people/person.html", "people/_person.html", profile=profile)


@bp.get("/people/<public_id>/picture-<string(length=8):digest>.<any(webp, jpg):ext>")
def person_picture(public_id: str, digest: str, ext: str) -> Response:
    return picture_response(public_profiles.public_picture(public_id, digest), ext)
