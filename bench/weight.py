"""Page weight, request count, card images and time-until-usable of the feed, in Chromium.

Debian's Chromium is driven through Playwright (never ``playwright install``) and observed through
the Chrome DevTools Protocol: ``Network.loadingFinished.encodedDataLength`` is what crossed the
wire for each request (compressed body plus response headers), so the figures are what a phone
would pay for.

"Usable" is defined as: DOMContentLoaded has fired (the deferred htmx and app.js have run by
then, which is checked) and the first contentful paint has happened (the feed's cards are in the
server-rendered HTML, so the first card is painted with it; the check records whether the first
card is inside the 390x844 viewport). The figure is ``max(domContentLoadedEventEnd, FCP)`` from
the browser's own Navigation and Paint Timing, measured from the start of the navigation.
"""

from __future__ import annotations

import gzip
import os
import re
import statistics
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

CHROMIUM = os.environ.get("KONEXI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # as tests/e2e/conftest.py launches it
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 390, "height": 844}  # a common small phone
# The throttled profile of the budget: 400 kbit/s down, 400 ms round trip. Upload is given the
# same 400 kbit/s (a slow 3G uplink is no faster than its downlink).
SLOW_NETWORK = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}
PAGE_RESOURCE_TYPES = {"Document", "Stylesheet", "Script", "Fetch", "XHR", "Font", "Other"}

USABLE_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const card = document.querySelector('#feed-items .card');
  const rect = card ? card.getBoundingClientRect() : null;
  return {
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    load_ms: nav.loadEventEnd,
    first_contentful_paint_ms: fcp ? fcp.startTime : null,
    htmx_loaded: typeof window.htmx !== 'undefined',
    first_card_present: !!card,
    first_card_in_viewport: rect ? rect.top < window.innerHeight && rect.bottom > 0 : false,
  };
}"""


@dataclass
class NetworkLog:
    """Every request of a page, from the DevTools protocol."""

    requests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def attach(self, session: Any) -> None:
        session.on("Network.requestWillBeSent", self._sent)
        session.on("Network.responseReceived", self._response)
        session.on("Network.requestServedFromCache", self._from_cache)
        session.on("Network.loadingFinished", self._finished)

    def _entry(self, request_id: str) -> dict[str, Any]:
        return self.requests.setdefault(request_id, {"bytes": 0, "from_cache": False})

    def _sent(self, params: dict[str, Any]) -> None:
        entry = self._entry(params["requestId"])
        entry["url"] = params["request"]["url"]
        entry["type"] = params.get("type", "Other")

    def _response(self, params: dict[str, Any]) -> None:
        entry = self._entry(params["requestId"])
        response = params["response"]
        entry["status"] = response.get("status")
        entry["type"] = params.get("type", entry.get("type", "Other"))
        entry["encoding"] = {k.lower(): v for k, v in response.get("headers", {}).items()}.get(
            "content-encoding"
        )
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            entry["from_cache"] = True

    def _from_cache(self, params: dict[str, Any]) -> None:
        self._entry(params["requestId"])["from_cache"] = True

    def _finished(self, params: dict[str, Any]) -> None:
        self._entry(params["requestId"])["bytes"] = int(params.get("encodedDataLength", 0))

    def clear(self) -> None:
        self.requests.clear()

    def summary(self) -> dict[str, Any]:
        """Bytes and requests that went over the network, pages (HTML+CSS+JS) apart from images."""
        network = [r for r in self.requests.values() if "url" in r and not r["from_cache"]]
        network = [r for r in network if not r["url"].startswith("data:")]
        page = [r for r in network if r.get("type") in PAGE_RESOURCE_TYPES]
        images = [r for r in network if r.get("type") == "Image"]
        cached = [r for r in self.requests.values() if "url" in r and r["from_cache"]]
        return {
            "page_bytes": sum(r["bytes"] for r in page),
            "page_requests": len(page),
            "image_bytes": sum(r["bytes"] for r in images),
            "image_requests": len(images),
            "requests_total": len(network),
            "served_from_cache": len(cached),
            "resources": [
                {
                    "url": _short(r["url"]),
                    "type": r.get("type"),
                    "status": r.get("status"),
                    "bytes": r["bytes"],
                    "encoding": r.get("encoding"),
                }
                for r in network
            ],
        }


def _short(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched through Playwright."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _new_page(browser: Any, headers: dict[str, str] | None = None) -> tuple[Any, Any, NetworkLog]:
    context = browser.new_context(
        viewport=VIEWPORT, locale="en-US", extra_http_headers=headers or {}
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    session = context.new_cdp_session(page)
    log = NetworkLog()
    log.attach(session)
    session.send("Network.enable")
    return page, session, log


def _visit(page: Any, url: str) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")


CARD_IMAGES_JS = """els => els.map(e => ({
  src: e.getAttribute('src'), loading: e.getAttribute('loading'),
  width: e.getAttribute('width'), height: e.getAttribute('height')}))"""


def page_weight(base_url: str, browser: Any) -> dict[str, Any]:
    """First visit (cold cache), repeat visit (same browser), images, and Save-Data, unthrottled."""
    page, _session, log = _new_page(browser)
    _visit(page, base_url + "/")
    first = log.summary()
    images = page.eval_on_selector_all(".card img", CARD_IMAGES_JS)
    log.clear()
    # A repeat visit: the visitor comes back to the feed; static files are in the cache.
    _visit(page, base_url + "/")
    repeat = log.summary()
    page.context.close()

    served = []
    for image in images:
        src = image.get("src") or ""
        response = requests.get(base_url + _short(src), timeout=30)
        served.append(
            {
                "src": src,
                "bytes": len(response.content),
                "content_type": response.headers.get("Content-Type"),
                "lazy": image.get("loading") == "lazy",
                "width_height": bool(image.get("width") and image.get("height")),
            }
        )

    save_page, _s, save_log = _new_page(browser, {"Save-Data": "on"})
    _visit(save_page, base_url + "/")
    save_data = save_log.summary()
    save_data_imgs = save_page.locator(".card img").count()
    save_page.context.close()
    return {
        "first_visit": first,
        "repeat_visit": repeat,
        "images": {
            "count": len(served),
            "max_bytes": max((i["bytes"] for i in served), default=0),
            "median_bytes": statistics.median([i["bytes"] for i in served]) if served else 0,
            "all_lazy": all(i["lazy"] for i in served),
            "all_sized": all(i["width_height"] for i in served),
            "served": served,
            "save_data_img_tags": save_data_imgs,
            "save_data_image_requests": save_data["image_requests"],
        },
    }


def fragment_weight(base_url: str, page_number: int = 2) -> dict[str, Any]:
    """The "load more" fragment as htmx fetches it, with the compressed bytes on the wire."""
    response = requests.get(
        f"{base_url}/?page={page_number}",
        headers={"Accept-Encoding": "gzip, br", "HX-Request": "true", "Accept-Language": "en"},
        stream=True,
        timeout=30,
    )
    raw = response.raw.read(decode_content=False)
    encoding = (response.headers.get("Content-Encoding") or "identity").lower()
    text = _decompress(raw, encoding)
    header_bytes = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
    return {
        "url": f"/?page={page_number}",
        "status": response.status_code,
        "content_encoding": encoding,
        "body_bytes": len(raw),
        "uncompressed_bytes": len(text.encode()) if text is not None else None,
        "header_bytes": header_bytes,
        "cards": text.count('class="card voucher"') if text is not None else None,
        "vary": response.headers.get("Vary"),
        "etag": response.headers.get("ETag"),
    }


def _decompress(raw: bytes, encoding: str) -> str | None:
    if encoding in ("identity", ""):
        return raw.decode("utf-8", "replace")
    if encoding == "gzip":
        return gzip.decompress(raw).decode("utf-8", "replace")
    if encoding == "deflate":
        return zlib.decompress(raw).decode("utf-8", "replace")
    if encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            return None
        return brotli.decompress(raw).decode("utf-8", "replace")
    return None


def _usable(page: Any, url: str) -> dict[str, Any]:
    page.goto(url, wait_until="load")
    # Paint timing is reported a frame after the paint; wait until it is there.
    page.wait_for_function(
        "() => performance.getEntriesByName('first-contentful-paint').length > 0", timeout=30_000
    )
    timing = page.evaluate(USABLE_JS)
    timing["usable_ms"] = round(
        max(timing["dom_content_loaded_ms"], timing["first_contentful_paint_ms"] or 0), 1
    )
    return timing


def time_until_usable(
    base_url: str, browser: Any, *, runs: int, throttle: bool = True
) -> dict[str, Any]:
    """Medians of ``runs`` cold visits (fresh browser context) and warm visits (right after)."""
    cold: list[dict[str, Any]] = []
    warm: list[dict[str, Any]] = []
    for _ in range(runs):
        page, session, log = _new_page(browser)
        if throttle:
            session.send("Network.emulateNetworkConditions", SLOW_NETWORK)
        cold.append({**_usable(page, base_url + "/"), "page_bytes": log.summary()["page_bytes"]})
        log.clear()
        warm.append({**_usable(page, base_url + "/"), "page_bytes": log.summary()["page_bytes"]})
        page.context.close()

    def median(samples: list[dict[str, Any]], key: str) -> float:
        return round(statistics.median(s[key] for s in samples), 1)

    return {
        "throttled": SLOW_NETWORK if throttle else None,
        "runs": runs,
        "definition": "max(DOMContentLoaded end, first contentful paint) from navigation start;"
        " htmx loaded (deferred) before DOMContentLoaded; first card in the server HTML",
        "cold_ms": median(cold, "usable_ms"),
        "warm_ms": median(warm, "usable_ms"),
        "cold_samples": cold,
        "warm_samples": warm,
        "htmx_loaded": all(s["htmx_loaded"] for s in cold + warm),
        "first_card_present": all(s["first_card_present"] for s in cold + warm),
        "first_card_in_viewport": all(s["first_card_in_viewport"] for s in cold + warm),
    }
