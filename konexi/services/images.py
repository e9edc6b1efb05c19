"""Pictures from providers: checked with Pillow, re-encoded small without metadata, kept in the DB.

An upload is decoded only if Pillow recognises it as JPEG, PNG or WebP and its pixel count is
sane (a small file can claim billions of pixels: a decompression bomb). What is kept is a new
encoding of the pixels alone, upright (EXIF orientation applied), in sRGB, with no EXIF (GPS!),
ICC or XMP: a picture for the voucher page that fits 640x360 and a card thumbnail of 160x90.

Memory: what is decoded is at most MAX_DECODED_PIXELS (16 MB as RGBA), and decoding is a
memory-heavy task, of which a process runs MEMORY_HEAVY_TASKS_AT_ONCE (one by default;
konexi/services/work_slots.py); eight 70 KB 16-megapixel PNGs at once used to take two
512 MB-dyno workers to 464 and 319 MB.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO

from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, features
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from konexi.extensions import db
from konexi.models.media import Image
from konexi.services.work_slots import one_heavy_task

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # the app's MAX_CONTENT_LENGTH
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# JPEGs are decoded at a reduced scale (draft mode: 1/2, 1/4 or 1/8 while both sides stay
# >= 640), so a 50 MP phone photo is decoded as ~1 MP. PNG and WebP cannot be reduced while
# decoding, so what is decoded, of any format, is capped: the largest variant is 640 px wide,
# and 4 MP still takes every phone screenshot up to 1440x2560 and a 2560x1600 laptop screen,
# for 16 MB as RGBA (a 16 MP PNG was 64 MB, plus its copies).
MAX_JPEG_PIXELS = 50_000_000
MAX_DECODED_PIXELS = 4_000_000
# Pillow refuses outright above twice this; between 1x and 2x our own check refuses.
PILImage.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS

FULL_SIZE = (640, 360)  # fit inside, never enlarged
THUMB_SIZE = (160, 90)  # cropped to fill: cards line up
FULL_MAX_BYTES = 48 * 1024
THUMB_MAX_BYTES = 8 * 1024
QUALITIES = (60, 50, 40, 30, 20)  # tried in turn until the variant fits its byte budget
USE_WEBP = features.check("webp")
_SRGB = ImageCms.createProfile("sRGB")


class ImageProblem(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"  # bytes
    TOO_MANY_PIXELS = "too_many_pixels"
    NOT_AN_IMAGE = "not_an_image"


class ImageRejected(Exception):
    """The upload is not a picture we accept; ``problem`` says why."""

    def __init__(self, problem: ImageProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class ProcessedImage:
    sha256: str
    content_type: str
    width: int
    height: int
    data: bytes
    thumb_width: int
    thumb_height: int
    thumb_data: bytes


@dataclass(frozen=True)
class ServedImage:
    sha256: str
    content_type: str
    data: bytes


def _decode(upload: bytes) -> PILImage.Image:
    """The upload's pixels, decoded only when the format and the pixel count are acceptable."""
    with PILImage.open(BytesIO(upload), formats=ACCEPTED_FORMATS) as probe:
        probe.verify()  # structure and checksums, without decoding the pixels
    picture = PILImage.open(BytesIO(upload), formats=ACCEPTED_FORMATS)
    width, height = picture.size
    limit = MAX_JPEG_PIXELS if picture.format == "JPEG" else MAX_DECODED_PIXELS
    if width * height > limit:
        raise ImageRejected(ImageProblem.TOO_MANY_PIXELS)
    if picture.format == "JPEG":
        # Decode at 1/2, 1/4 or 1/8 scale while both sides stay >= 640 (enough for any variant).
        picture.draft("RGB", (FULL_SIZE[0], FULL_SIZE[0]))
        width, height = picture.size  # what will be decoded (a 640 x 80,000 strip stays big)
        if width * height > MAX_DECODED_PIXELS:
            raise ImageRejected(ImageProblem.TOO_MANY_PIXELS)
    picture.load()
    return picture


def _shrunk(picture: PILImage.Image) -> PILImage.Image:
    """A big non-JPEG reduced by a whole factor (box filter, cheap) while both sides stay >= 640.

    The colour conversions that follow copy the picture, so a 16 MP RGBA PNG would otherwise
    cost a few hundred MB of a small dyno's memory for a 640x360 result.
    """
    factor = min(picture.size) // FULL_SIZE[0]
    if factor < 2 or picture.mode not in ("RGB", "RGBA", "L", "LA"):
        return picture
    reduced = picture.reduce(factor)
    reduced.info = dict(picture.info)  # the colour profile and EXIF orientation still apply
    return reduced


def _to_srgb(picture: PILImage.Image) -> PILImage.Image:
    """Plain RGB in sRGB: colour profile applied, transparency flattened onto white."""
    icc = picture.info.get("icc_profile")
    if icc and picture.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(BytesIO(icc))
            converted = ImageCms.profileToProfile(picture, source, _SRGB, outputMode="RGB")
            if converted is not None:
                picture = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            log.info("ignoring an unreadable colour profile")
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return picture.convert("RGB")


def _encode(picture: PILImage.Image, budget: int) -> bytes:
    """The smallest-effort encoding that fits ``budget`` bytes (lowest quality if none does)."""
    picture.info = {}  # nothing of the original's metadata travels further
    data = b""
    for quality in QUALITIES:
        out = BytesIO()
        if USE_WEBP:
            picture.save(out, "WEBP", quality=quality, method=6)
        else:
            picture.save(out, "JPEG", quality=quality + 10, optimize=True, progressive=True)
        data = out.getvalue()
        if len(data) <= budget:
            break
    return data


def process_image(upload: bytes) -> ProcessedImage:
    """Re-encode an uploaded JPEG/PNG/WebP as two small metadata-free variants, or refuse it."""
    if not upload:
        raise ImageRejected(ImageProblem.EMPTY)
    if len(upload) > MAX_UPLOAD_BYTES:
        raise ImageRejected(ImageProblem.TOO_LARGE)
    try:
        with one_heavy_task():  # every decoded pixel lives in this block
            picture = _shrunk(_decode(upload))
            upright = ImageOps.exif_transpose(picture) or picture
            rgb = _to_srgb(upright)
            del picture, upright  # free the decoded pixels before the variants are made
            full = rgb.copy()
            full.thumbnail(FULL_SIZE, PILImage.Resampling.LANCZOS)
            thumb = ImageOps.fit(rgb, THUMB_SIZE, PILImage.Resampling.LANCZOS)
            del rgb
            full_data = _encode(full, FULL_MAX_BYTES)
            thumb_data = _encode(thumb, THUMB_MAX_BYTES)
    except PILImage.DecompressionBombError as error:
        raise ImageRejected(ImageProblem.TOO_MANY_PIXELS) from error
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, MemoryError) as error:
        raise ImageRejected(ImageProblem.NOT_AN_IMAGE) from error
    return ProcessedImage(
        sha256=hashlib.sha256(upload).hexdigest(),
        content_type="image/webp" if USE_WEBP else "image/jpeg",
        width=full.width,
        height=full.height,
        data=full_data,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
        thumb_data=thumb_data,
    )


def _stored(company_id: int, sha256: str) -> Image | None:
    return db.session.scalar(
        select(Image).where(Image.company_id == company_id, Image.sha256 == sha256)
    )


def store_image(company_id: int, upload: bytes) -> Image:
    """Keep an uploaded picture for a company (once: the same file again is the same row)."""
    sha256 = hashlib.sha256(upload).hexdigest()
    existing = _stored(company_id, sha256)
    if existing is not None:
        return existing
    processed = process_image(upload)
    image = Image(
        company_id=company_id,
        sha256=processed.sha256,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        data=processed.data,
        thumb_width=processed.thumb_width,
        thumb_height=processed.thumb_height,
        thumb_data=processed.thumb_data,
    )
    try:
        with db.session.begin_nested():
            db.session.add(image)
    except IntegrityError:
        # The same file, uploaded at the same moment by a colleague: theirs is ours.
        existing = _stored(company_id, sha256)
        if existing is None:
            raise
        return existing
    return image


def company_image(company_id: int, image_id: int | None) -> Image | None:
    """The company's own picture with that id, or None (another company's ids are ignored)."""
    if image_id is None:
        return None
    image = db.session.get(Image, image_id)
    return image if image is not None and image.company_id == company_id else None


def image_for_serving(image_id: int, variant: str) -> ServedImage | None:
    """One variant's bytes with its content hash and type, or None for an unknown picture."""
    column = Image.thumb_data if variant == "thumb" else Image.data
    row = db.session.execute(
        select(Image.sha256, Image.content_type, column).where(Image.id == image_id)
    ).first()
    if row is None:
        return None
    return ServedImage(sha256=row[0], content_type=row[1], data=bytes(row[2]))
