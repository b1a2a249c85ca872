"""How the letter looks: pages rendered to PNG and compared with reviewed references.

The references in tests/data/expected/ were looked at and judged a proper oficio. After an
intended change of layout, regenerate them with `OFICIOS_UPDATE_REFERENCES=1 make test`,
look at them, and commit them with the change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import DATA, files_by_key

EXPECTED = DATA / "expected"
DPI = 40
# A pixel "differs" when its grey level moves by more than this; the page may have this share
# of differing pixels (anti-aliasing across pdfium versions), no more.
PIXEL_TOLERANCE = 64
MAX_DIFFERING_SHARE = 0.004


def render_pages(pdf: Path):
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return [page.render(scale=DPI / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()


def differing_share(actual, expected) -> float:
    from PIL import ImageChops

    assert actual.size == expected.size
    diff = ImageChops.difference(actual, expected).point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)
    return diff.histogram()[255] / (actual.size[0] * actual.size[1])


@pytest.mark.parametrize("run, key, name, page_count", [
    ("sample_run", "13120", "nunoa", 2), ("sample_run", "12201", "cabo-de-hornos", 2),
    ("circular_run", "11", "circular-aysen", 2)])
def test_pages_look_like_the_reviewed_reference(request, run, key, name, page_count, tmp_path):
    from PIL import Image

    pages = render_pages(files_by_key(request.getfixturevalue(run), "pdf")[key])
    assert len(pages) == page_count
    for number, page in enumerate(pages, start=1):
        reference = EXPECTED / f"{name}-page-{number}.png"
        if os.environ.get("OFICIOS_UPDATE_REFERENCES") == "1":
            page.save(reference)
        share = differing_share(page, Image.open(reference).convert("L"))
        if share > MAX_DIFFERING_SHARE:
            page.save(tmp_path / reference.name)
        assert share <= MAX_DIFFERING_SHARE, (
            f"page {number} differs from {reference} in {share:.2%} of its pixels; "
            f"see {tmp_path / reference.name}")


def test_a_changed_letter_is_caught(sample_run, letters, template, tmp_path):
    """The comparison is sensitive enough: one bolded line more must fail it."""
    import dataclasses

    from PIL import Image

    from oficios.render_pdf import PdfRenderer

    base = letters["13120"]
    changed = dataclasses.replace(base, reference="Oficio N° 12 de 2008, de esta Secretaría.")
    pdf = tmp_path / "changed.pdf"
    pdf.write_bytes(PdfRenderer(template.folder).render(changed))
    page = render_pages(pdf)[0]
    assert differing_share(page, Image.open(EXPECTED / "nunoa-page-1.png").convert("L")) > MAX_DIFFERING_SHARE
