"""Small normalisations every importer needs: numbers sent as text, slugs for ids."""

from __future__ import annotations

import re
import unicodedata

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def number(value: object) -> object:
    """A number sent as text ("12", " 70.5 ") as a number; anything else unchanged.

    Values that are not numbers are passed on as they are, so the stream contract or silver
    rejects them with a reason that shows what was sent.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return value


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: "Alexandre's Apple Watch" -> "alexandres-apple-watch"."""
    text = text.replace("'", "").replace("\u2019", "")  # straight and curly apostrophes
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-") or "unnamed"


def clean_text(value: object) -> str | None:
    """Text with stray whitespace (non-breaking spaces included) removed; None when blank."""
    if value is None:
        return None
    text = " ".join(str(value).replace("\xa0", " ").split())
    return text or None
