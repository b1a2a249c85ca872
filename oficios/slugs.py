"""ASCII slugs for file names (python-slugify lives here).

A slug holds only a-z, 0-9 and '-', so it can never be a path ('..', '/', a drive) and is
the same on case-insensitive file systems. Lengths are capped so a whole file name stays far
below the 255 bytes file systems allow: <key slug> '-' <name slug> '.docx' is at most
MAX_KEY_SLUG + 1 + MAX_SLUG + 5 = 106 bytes.
"""

from __future__ import annotations

MAX_SLUG = 60
MAX_KEY_SLUG = 40
# Device names Windows reserves whatever the extension (CON.pdf is the console, not a file).
RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                      *(f"lpt{i}" for i in range(10))})


def ascii_slug(text: str, *, max_length: int = MAX_SLUG) -> str:
    """A lowercase ASCII slug of the text ("Ñuñoa" -> "nunoa"); 'sin-nombre' if nothing is left."""
    from slugify import slugify

    return slugify(text, max_length=max_length, word_boundary=True) or "sin-nombre"


def key_slug(key: str) -> str:
    """The slug of a recipient's key that starts its file names; equal slugs mean one file."""
    return ascii_slug(key, max_length=MAX_KEY_SLUG)


def safe_name(slug: str) -> str:
    """A slug usable alone as a file or folder name everywhere: reserved names get a '_'."""
    return f"{slug}_" if slug in RESERVED else slug
