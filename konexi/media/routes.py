"""GET /media/<id>-<hash8>.webp (or -thumb.webp): public, immutable; `voucher_image` helper.

The URL carries the first 8 hex digits of the picture's content hash, so a picture can be
cached for a year: a new picture is a new row with a new URL. A wrong hash answers 404 rather
than something a cache would keep under the wrong name.
"""

from __future__ import annotations

from flask import Response, abort, g, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from konexi.media import bp
from konexi.models import Voucher
from konexi.models.media import Image
from konexi.services.images import image_for_serving

CACHE_FOREVER = "public, max-age=31536000, immutable"
_EXTENSIONS = {"webp": "image/webp", "jpg": "image/jpeg"}
_VARIANT_CLASSES = {"full": "voucher-picture", "thumb": "voucher-thumb"}


@bp.get(
    "/media/<int:image_id>-<string(length=8):digest>.<any(webp, jpg):ext>",
    defaults={"variant": "full"},
)
@bp.get(
    "/media/<int:image_id>-<string(length=8):digest>-thumb.<any(webp, jpg):ext>",
    defaults={"variant": "thumb"},
)
def image(image_id: int, digest: str, ext: str, variant: str) -> BaseResponse:
    served = image_for_serving(image_id, variant)
    if (
        served is None
        or not served.sha256.startswith(digest.lower())
        or _EXTENSIONS[ext] != served.content_type
    ):
        abort(404)
    response = Response(served.data, mimetype=served.content_type)
    response.set_etag(f"{served.sha256[:16]}-{variant}")
    response.headers["Cache-Control"] = CACHE_FOREVER
    return response.make_conditional(request)


def image_url(picture: Image, variant: str = "full") -> str:
    """The cacheable URL of one variant of a picture."""
    return url_for(
        "media.image",
        image_id=picture.id,
        digest=picture.sha256[:8],
        ext=picture.extension,
        variant=variant,
    )


def saves_data() -> bool:
    """True when the browser asks for lighter pages (``Save-Data: on``)."""
    g.varies_on_save_data = True
    return request.headers.get("Save-Data", "").strip().lower() == "on"


@bp.app_template_global()
def voucher_image(voucher: Voucher, variant: str = "full") -> Markup:
    """The voucher's picture as an <img> (``full`` or ``thumb``), or nothing with Save-Data."""
    picture = voucher.image
    if picture is None or saves_data():
        return Markup("")
    width, height = picture.size_of(variant)
    return Markup(
        '<img class="{cls}" src="{src}" width="{w}" height="{h}" alt="" loading="lazy"'
        ' decoding="async">'
    ).format(
        cls=_VARIANT_CLASSES.get(variant, "voucher-picture"),
        src=image_url(picture, variant),
        w=width,
        h=height,
    )


@bp.after_app_request
def _vary_on_save_data(response: Response) -> Response:
    if g.get("varies_on_save_data"):
        response.vary.add("Save-Data")
    return response
