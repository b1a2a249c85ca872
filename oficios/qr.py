"""QR codes that repeat a letter's verification code, for its footer (segno lives here)."""

from __future__ import annotations

import io

from oficios.letter import Letter


def payload(letter: Letter) -> str:
    """What the QR code says: with a public verification page, its address for this letter's
    code (a phone opens the answer); without one, the oficio, the recipient's key and the code."""
    if letter.verify_url:
        from urllib.parse import urlencode

        return f"{letter.verify_url.rstrip('/')}/verificar?{urlencode({'codigo': letter.verification})}"
    return f"{letter.number} · {letter.key} · Código de verificación {letter.verification}"


def _code(letter: Letter):
    import segno

    # Level M survives a worn or badly photocopied print; the text is short either way.
    return segno.make(payload(letter), error="m", micro=False)


def qr_svg(letter: Letter) -> str:
    """The QR code as inline SVG markup, sized by the CSS that places it."""
    return _code(letter).svg_inline(scale=1, border=0, omitsize=True)


def qr_png(letter: Letter) -> bytes:
    """The QR code as a PNG image, 4 pixels a module with the standard quiet zone."""
    buffer = io.BytesIO()
    _code(letter).save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()
