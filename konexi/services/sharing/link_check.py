"""Does a piece of free text carry a link? (Share notes and sender names: anti-phishing.)

Text is checked on a skeleton, so look-alike spellings meet the same rule as plain ones:
Unicode NFKC (full-width ``ｅｖｉｌ．ｃｏｍ`` becomes ``evil.com``), invisible format characters
removed (zero-width space and joiners, soft hyphen, direction marks), combining marks dropped
(``evil\u0338.com``), ideographic and other full stops and middle dots read as ".", and a
space before the dot ignored (``evil .com``). Dotted IPv4 addresses (``10.0.0.1/login``) count
as links; prices and times (``Rp 50.000``, ``10.30``) do not.
"""

from __future__ import annotations

import re
import unicodedata

# Full stops and dot-like marks NFKC leaves alone, each read as "." (a reader sees a dot):
# ideographic (。), vertical ideographic (︒), Arabic (۔), Armenian (։), Devanagari danda (।),
# Ethiopic (።), middle dots (·, ‧, ・, ⸳), and the dot and bullet operators (⋅, ∙).
_OTHER_FULL_STOPS = str.maketrans(
    dict.fromkeys("\u3002\ufe12\u06d4\u0589\u0964\u1362\u00b7\u2027\u30fb\u2e33\u22c5\u2219", ".")
)
# Common top-level domains: only with these is "evil . com" or "evil dot com" read as a link,
# so a sentence that ends and a new one that starts ("Enak. Mantap") is not.
_COMMON_TLDS = (
    "com|net|org|id|co|io|me|info|biz|xyz|ly|link|site|online|app|top|click|club|shop|store|"
    "live|vip|icu|tk|ml|ga|cf|gq|ru|cn|us|uk|to|gl|gd|cc|ws|in|my|sg"
)
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"  # letters in any script: look-alike domains count too
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"  # no leading zeros, so "Rp 100.000.000.000" passes
_LINK = re.compile(
    "|".join(
        [
            r"[a-z][a-z0-9+.-]*:/+",  # any scheme: http://, https:/, ftp://
            r"\bwww\s*\.",
            rf"\b{_OCTET}(?:\.{_OCTET}){{3}}\b",  # 10.0.0.1/login
            rf"{_LABEL}\s*\.[^\W\d_]{{2,}}\b",  # evil.com, evil .com, ＥＶＩＬ．ＣＯＭ
            rf"{_LABEL}\s*(?:\.\s+|\s+dot\s+)(?:{_COMMON_TLDS})\b",  # evil . com, evil dot com
            rf"{_LABEL}\s*[(\[{{]\s*(?:\.|dot)\s*[)\]}}]\s*[^\W\d_]{{2,}}\b",  # evil(.)com, [dot]
        ]
    ),
    re.IGNORECASE,
)


def without_invisible(text: str) -> str:
    """``text`` in NFKC without format characters (zero-width, soft hyphen, direction marks)."""
    normal = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in normal if unicodedata.category(ch) != "Cf")


def skeleton(text: str) -> str:
    """What the link rule reads: NFKC, no invisible characters, no combining marks (an accent
    or an overlay on the letter before the dot hides ``evil.com`` from a letters-only rule yet
    not from a reader), every full stop a "."."""
    bare = "".join(
        ch
        for ch in unicodedata.normalize("NFKD", text)
        if unicodedata.category(ch) not in ("Mn", "Me")
    )
    return without_invisible(bare).translate(_OTHER_FULL_STOPS).casefold()


def has_link(text: str) -> bool:
    """True when ``text`` names a web address, a domain or an IP address in any disguise."""
    return bool(_LINK.search(skeleton(text)))
