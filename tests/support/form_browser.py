"""A browser without JavaScript, over real HTTP: it reads a page's forms and submits them.

A form is submitted as a browser would: its hidden inputs (the CSRF token), prefilled values,
checked boxes and selected options, plus what the test "types"; multipart forms go as
multipart with an empty file part for an untouched file input. Redirects are followed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

FieldValue = str | Sequence[str]


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    file_inputs: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        return next((v for k, v in self.fields if k == name), None)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    @property
    def _form(self) -> Form | None:
        return self.forms[-1] if self.forms else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append(
                Form(
                    action=a.get("action", ""),
                    method=a.get("method", "get").lower(),
                    enctype=a.get("enctype", "application/x-www-form-urlencoded"),
                )
            )
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                form.file_inputs.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind in ("submit", "image", "button", "reset"):
                form.buttons.append((name, a.get("value", "")))
            else:
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name and a.get("type", "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._select_chosen:
                form.fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "select" and self._select is not None and form is not None:
            if not self._select_chosen and self._select_first is not None:
                form.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and form is not None:
            form.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


@dataclass
class Page:
    response: requests.Response

    @property
    def url(self) -> str:
        return self.response.url

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def text(self) -> str:
        return self.response.text

    def problems(self) -> list[str]:
        """The error messages the page shows (next to fields, or flashed)."""
        found = re.findall(
            r'class="(?:field-error|flash error)"[^>]*>(.*?)</p>', self.text, flags=re.DOTALL
        )
        return [re.sub(r"<[^>]+>", "", message).strip() for message in found]

    def forms(self) -> list[Form]:
        parser = _FormParser()
        parser.feed(self.text)
        return parser.forms

    def form(self, action: str, **having: str) -> Form:
        """The form posting to the path ``action`` (and holding these field values)."""
        found = [
            form
            for form in self.forms()
            if urlsplit(urljoin(self.url, form.action or self.url)).path == action
            and all(form.value(name) == value for name, value in having.items())
        ]
        assert found, f"no form to {action} {having or ''} on {self.url}:\n{self.text[:3000]}"
        return found[0]


class FormBrowser:
    """A cookie-keeping client of one site, trusting ``ca_file`` for its HTTPS."""

    def __init__(self, base_url: str, ca_file: Path) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        # Passed on each request: a session's own ``verify`` loses to REQUESTS_CA_BUNDLE.
        self.verify = str(ca_file)
        self.session.headers["User-Agent"] = "Mozilla/5.0 (Linux; Android 10) konexi-journey"
        self.set_cookies: list[str] = []  # every Set-Cookie header, redirects included
        self.session.hooks["response"].append(self._keep_set_cookies)

    def _keep_set_cookies(
        self, response: requests.Response, *args: object, **kwargs: object
    ) -> None:
        self.set_cookies.extend(response.raw.headers.getlist("Set-Cookie"))

    def get(self, path: str, expect: int | None = 200) -> Page:
        page = Page(self.session.get(urljoin(self.base_url, path), verify=self.verify, timeout=30))
        self._check(page, expect, f"GET {path}")
        return page

    def submit(
        self,
        page: Page,
        action: str,
        values: Mapping[str, FieldValue] | None = None,
        *,
        button: str | None = None,
        having: Mapping[str, str] | None = None,
        expect: int | None = 200,
    ) -> Page:
        """Fill the form to ``action`` on ``page`` with ``values`` and submit it."""
        form = page.form(action, **(having or {}))
        values = dict(values or {})
        data = [(k, v) for k, v in form.fields if k not in values]
        for name, value in values.items():
            data += [(name, value)] if isinstance(value, str) else [(name, v) for v in value]
        if button is not None:
            data += [b for b in form.buttons if b[0] == button][:1] or [(button, "")]
        url = urljoin(page.url, form.action or page.url)
        # As a browser under Referrer-Policy strict-origin-when-cross-origin on the same site
        # (Flask-WTF checks the Referer of HTTPS posts).
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        headers = {"Referer": page.url, "Origin": origin}
        if form.method != "post":
            response = self.session.get(url, params=data, verify=self.verify, timeout=30)
        elif form.enctype == "multipart/form-data":
            parts: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = [
                (k, (None, v, None)) for k, v in data
            ]
            # An untouched file input is still sent, as an empty part without a file name.
            parts += [(name, ("", b"", "application/octet-stream")) for name in form.file_inputs]
            response = self.session.post(
                url, files=parts, headers=headers, verify=self.verify, timeout=30
            )
        else:
            response = self.session.post(
                url, data=data, headers=headers, verify=self.verify, timeout=30
            )
        result = Page(response)
        self._check(result, expect, f"POST {action}")
        return result

    def _check(self, page: Page, expect: int | None, what: str) -> None:
        for response in (*page.response.history, page.response):
            assert response.url.startswith(self.base_url), f"{what} left the site: {response.url}"
        if expect is not None:
            assert page.status == expect, (
                f"{what}: {page.status} at {page.url} {page.problems()}\n{page.text[:3000]}"
            )
