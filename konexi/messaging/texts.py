"""SMS and email texts, rendered from ``templates/messages/<name>.txt`` in the recipient's language.

A message template writes its body with ``_()`` / ``{% trans %}`` like any page, and an email's
template also sets ``subject`` at its top level. Rendering forces the locale given (the language
the person chose in the request that caused the message, or the recipient's stored one in a job),
so a text never depends on whichever request, if any, happens to be running. Links in the text
come from ``external_url`` (a template global), never from paths typed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale

from konexi.urls import external_url

TEMPLATE_FOLDER = "messages"


@dataclass(frozen=True)
class Text:
    """A rendered message: ``subject`` is empty for an SMS."""

    subject: str
    body: str


def render_text(message: str, locale: str, /, **context: Any) -> Text:
    """Render the message template ``message`` in ``locale`` with ``context``."""
    template = current_app.jinja_env.get_template(f"{TEMPLATE_FOLDER}/{message}.txt")
    with force_locale(locale or "en"):
        module = template.make_module(context)
        body = str(module)
        subject = str(getattr(module, "subject", ""))
    return Text(subject=" ".join(subject.split()), body=body.strip() + "\n")


def render_sms(message: str, locale: str, /, **context: Any) -> str:
    """An SMS body, without the line end a template file leaves (every character counts)."""
    return render_text(message, locale, **context).body.strip()


def init_app(app: Flask) -> None:
    app.jinja_env.globals["external_url"] = external_url
