"""Redemption codes: short, unguessable, and easy to read aloud or type on a phone keypad."""

from __future__ import annotations

import secrets

# Upper-case letters and digits without the look-alikes 0/O, 1/I/L, 2/Z, 5/S, 8/B: 25 symbols,
# so 8 of them give 25**8 (about 1.5e11, 37 bits) codes.
ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 8
GROUP = 4


def generate_code() -> str:
    """A new random code of ``CODE_LENGTH`` symbols from ``ALPHABET``, drawn with ``secrets``."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """The code grouped for reading, e.g. ``KXF47QRT`` -> ``KXF4 7QRT``."""
    return " ".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(typed: str) -> str:
    """A typed code upper-cased, without spaces or dashes, as it is stored."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t")


def is_well_formed(code: str) -> bool:
    """True when ``code`` (normalised) could be a code: right length, only alphabet symbols."""
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)
