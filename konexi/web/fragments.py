"""Parts of pages that are the same for everybody, rendered once per worker and language.

A page's layout, its search form, its location form and its category chips are the same for
every visitor who asks for the same thing in the same language, but rendering them (a
``url_for`` and a translation lookup per link, a dozen per page) cost more than the rest of a
signed-in feed. A template wraps such a part in a call block::

    {% call shared_fragment("chips", args.q, chosen) %} … {% endcall %}

and the block is rendered on the first request only; later requests reuse its HTML. The key is
the block's name, the language and every value named in the call: a block must depend on
nothing else (never on the user, the session, a CSRF token, a flash message or data that
changes, unless that data is part of the key). Bounded by ``MAX_FRAGMENTS``, least recently used
first out; thread-safe. In debug mode (templates and assets reloaded on change) nothing is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, current_app
from markupsafe import Markup

from konexi.i18n import current_language

MAX_FRAGMENTS = 2048  # a search's words are part of some keys: bounded, whatever people type
EXTENSION_KEY = "konexi_fragments"


class Fragments:
    """Rendered HTML by key, least recently used first out."""

    def __init__(self, entries: int = MAX_FRAGMENTS) -> None:
        self.entries = entries
        self._html: OrderedDict[tuple[object, ...], Markup] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._html)

    def get(self, key: tuple[object, ...]) -> Markup | None:
        with self._lock:
            html = self._html.get(key)
            if html is not None:
                self._html.move_to_end(key)
            return html

    def put(self, key: tuple[object, ...], html: Markup) -> None:
        with self._lock:
            self._html[key] = html
            self._html.move_to_end(key)
            while len(self._html) > self.entries:
                self._html.popitem(last=False)


def _frozen(value: object) -> object:
    """A key part as a hashable value (Jinja hands lists and dicts over as they are)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


def shared_fragment(name: str, *parts: object, caller: Callable[[], str]) -> Markup:
    """The HTML of the call block ``name`` for these ``parts`` in this language: rendered by
    ``caller`` once, then reused (a Jinja global)."""
    fragments = current_app.extensions.get(EXTENSION_KEY)
    if not isinstance(fragments, Fragments) or current_app.debug:
        return Markup(caller())  # noqa: S704 - the output of our own autoescaped template
    key = (name, current_language(), *map(_frozen, parts))
    html = fragments.get(key)
    if html is None:
        html = Markup(caller())  # noqa: S704 - the output of our own autoescaped template
        fragments.put(key, html)
    return html


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Fragments()
    app.jinja_env.globals["shared_fragment"] = shared_fragment


__all__ = ["Fragments", "init_app", "shared_fragment"]
