"""The combined PDF keeps a few bytes a letter, however many letters it holds.

Letters are copied into the archive copy as they are written; what it keeps until the end is
each object's offset and each page's number (8 bytes each). Bookmarks are written as they
come, and only the most recently used objects' digests are remembered (to write shared parts
once). Measured with tracemalloc, in bytes a letter; no time is measured.
"""

from __future__ import annotations

import gc
import io
import tracemalloc

import pikepdf
from pypdf import PdfReader

from oficios import combine
from oficios.combine import CombinedPdf

SHARED = b"BT /F1 12 Tf 72 720 Td (Ministerio de Planificacion) Tj ET"


def _letter(number: int) -> bytes:
    """A one-page PDF with a content stream of its own and one shared with every other."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    own = pdf.make_stream(f"BT /F1 12 Tf 72 700 Td (Carta {number}) Tj ET".encode())
    page.obj.Contents = pikepdf.Array([pdf.make_stream(SHARED), own])
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _combined(path, letters: list[bytes]) -> int:
    """Traced bytes the combined PDF holds once every letter is added, before it is closed."""
    with CombinedPdf(path, "Oficio") as pdf:
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for number, letter in enumerate(letters):
                pdf.add(letter, f"{number:05d} Ñuñoa")
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    return held


def test_the_combined_pdf_holds_a_few_bytes_a_letter_and_shares_what_recurs(tmp_path,
                                                                               monkeypatch):
    monkeypatch.setattr(combine, "WRITTEN_KEPT", 64)  # full after a few dozen letters
    letters = [_letter(n) for n in range(1200)]
    _combined(tmp_path / "calentar.pdf", letters[:50])
    small = _combined(tmp_path / "chico.pdf", letters[:200])
    large = _combined(tmp_path / "grande.pdf", letters)
    per_letter = (large - small) / 1000
    # Measured on 2026-11-25: 33 bytes a letter (≈ 3 objects — page, own content, bookmark —
    # and one page, 8 bytes each). Keeping each bookmark's title and every object's digest,
    # as before: 329.
    assert per_letter < 80, f"{per_letter:.0f} bytes a letter"

    reader = PdfReader(tmp_path / "grande.pdf")
    assert len(reader.pages) == 1200
    titles = [item.title for item in reader.outline]
    assert titles[0] == "00000 Ñuñoa" and titles[-1] == "01199 Ñuñoa" and len(titles) == 1200
    assert reader.get_destination_page_number(reader.outline[777]) == 777
    # The shared stream is written once: it is still recent at every letter.
    shared = [page["/Contents"][0].idnum for page in reader.pages]
    assert len(set(shared)) == 1
