"""ASCII slugs for file names (python-slugify lives here)."""

from __future__ import annotations

MAX_SLUG = 60


def ascii_slug(text: str, *, max_length: int = MAX_SLUG) -> str:
    """A lowercase ASCII slug of the text ("Ñuñoa" -> "nunoa"); 'sin-nombre' if nothing is left."""
    from slugify import slugify

    return slugify(text, max_length=max_length, word_boundary=True) or "sin-nombre"
