"""Compressed responses: brotli when the browser accepts it, else gzip, else as they are.

Pages and fragments are compressed per response at a fast setting; static files (fingerprinted,
cached for a year) are compressed once per process at the strongest setting and kept in memory.
A compressed variant gets its own ETag (the identity ETag plus ``-br``/``-gzip``), so a cache never
mixes the variants, and a browser revalidating that ETag still gets its 304.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import brotli
from flask import Flask, Request, Response, current_app, request
from werkzeug.security import safe_join

# Text formats worth compressing; images, fonts and archives are compressed already.
COMPRESSIBLE_TYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/csv",
        "text/xml",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/xml",
        "application/manifest+json",
        "image/svg+xml",
    }
)
# Below this a compressed body plus its header costs about what it saves.
MIN_SIZE = 500
# Per response: fast settings (a 20 KB page costs about a millisecond).
DYNAMIC_BROTLI_QUALITY = 5
DYNAMIC_GZIP_LEVEL = 6
# Once per static file and process: the strongest settings.
STATIC_BROTLI_QUALITY = 11
STATIC_GZIP_LEVEL = 9
ENCODINGS = ("br", "gzip")

_static_cache: dict[tuple[str, int, int, str], bytes] = {}
_static_lock = threading.Lock()
STATIC_SUFFIXES = (".css", ".js", ".svg", ".json", ".txt")


def negotiate_encoding(req: Request) -> str | None:
    """``br`` or ``gzip`` when the request's Accept-Encoding allows it, else None."""
    accepted = req.accept_encodings
    for encoding in ENCODINGS:
        if accepted.quality(encoding) > 0:
            return encoding
    return None


def compress(data: bytes, encoding: str, *, strongest: bool = False) -> bytes:
    """``data`` compressed with ``encoding`` (``br`` or ``gzip``)."""
    if encoding == "br":
        quality = STATIC_BROTLI_QUALITY if strongest else DYNAMIC_BROTLI_QUALITY
        return bytes(brotli.compress(data, quality=quality))
    level = STATIC_GZIP_LEVEL if strongest else DYNAMIC_GZIP_LEVEL
    return gzip.compress(data, compresslevel=level, mtime=0)


def static_file_compressed(path: Path, encoding: str) -> bytes:
    """A static file's compressed bytes, computed once per version of the file and process."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, encoding)
    body = _static_cache.get(key)
    if body is None:
        body = compress(path.read_bytes(), encoding, strongest=True)
        with _static_lock:
            _static_cache[key] = body
    return body


def warm_static_cache(app: Flask) -> int:
    """Compress every static text file now (gunicorn calls it in the master, before the fork).

    The strongest brotli setting takes most of a second for htmx: done once here, the workers
    inherit the result instead of each making its first visitor wait for it.
    """
    folder = Path(app.static_folder or "")
    count = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in STATIC_SUFFIXES and path.stat().st_size >= MIN_SIZE:
            for encoding in ENCODINGS:
                static_file_compressed(path, encoding)
                count += 1
    return count


def _static_path() -> Path | None:
    filename = (request.view_args or {}).get("filename")
    folder = current_app.static_folder
    if not filename or not folder:
        return None
    joined = safe_join(folder, filename)
    return Path(joined) if joined else None


def _static_body(encoding: str) -> bytes | None:
    path = _static_path()
    if path is None or not path.is_file():
        return None
    return static_file_compressed(path, encoding)


def _body_size(response: Response, is_static: bool) -> int | None:
    if is_static:
        return response.content_length
    if response.is_streamed or response.direct_passthrough:
        return None
    return len(response.get_data())


def compress_response(response: Response) -> Response:
    """Compress a text response for a browser that accepts it (after every other hook)."""
    status = response.status_code
    if status < 200 or status in (204, 206) or "Content-Encoding" in response.headers:
        return response
    if response.mimetype not in COMPRESSIBLE_TYPES:
        return response
    if "no-transform" in response.headers.get("Cache-Control", ""):
        return response
    is_static = request.endpoint == "static" and response.direct_passthrough
    size = _body_size(response, is_static)
    if size is None or size < MIN_SIZE:
        return response
    response.vary.add("Accept-Encoding")  # a 304 names the same Vary as its 200
    encoding = negotiate_encoding(request)
    if encoding is None or status == 304:
        return response

    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-{encoding}", weak=bool(weak))
        if request.method in ("GET", "HEAD") and status == 200:
            response.make_conditional(request)
            if response.status_code == 304:
                return response

    if is_static:
        body = _static_body(encoding)
        if body is None:
            return response
        opened = response.response  # the open file we replace
        if hasattr(opened, "close"):
            opened.close()
        response.direct_passthrough = False
    else:
        body = compress(response.get_data(), encoding)
    response.set_data(body)  # also sets Content-Length
    response.headers["Content-Encoding"] = encoding
    response.headers.pop("Accept-Ranges", None)  # byte ranges would be of the other variant
    return response


def init_app(app: Flask) -> None:
    # First in the list, so Flask (which runs the hooks in reverse) runs it after all the others.
    app.after_request_funcs.setdefault(None, []).insert(0, compress_response)
