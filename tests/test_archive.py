"""The archive copy (PDF/A-2b with the nómina), nomina.csv, manifest, checksums, copies."""

from __future__ import annotations

import csv
import hashlib
import json
import re

import pytest
from pypdf import PdfReader

from conftest import DATA, TEMPLATE
from oficios.pipeline import Job, generate

FOUR = DATA / "roster-four-municipalities.csv"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("archive")
    return generate(Job(template=TEMPLATE, roster=FOUR, output=out, workers=1))


def test_archive_declares_pdf_a_2b_in_its_xmp_metadata(batch):
    reader = PdfReader(batch.combined)
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert [e.firstChild.data for e in xmp.get_element("", PDFAID, "part")] == ["2"]
    assert [e.firstChild.data for e in xmp.get_element("", PDFAID, "conformance")] == ["B"]
    assert xmp.dc_title == {"x-default": "MIDEPLAN OF. N° 01-A/264"}
    assert xmp.dc_description == {
        "x-default": "Informa Encuentro Nacional del Sistema Intersectorial de Protección Social."}
    assert xmp.dc_creator == ["Ministerio de Planificación"]
    assert xmp.xmp_create_date.date().isoformat() == "2009-02-05"


def test_archive_has_the_document_parts_pdf_a_requires(batch):
    raw = batch.combined.read_bytes()
    reader = PdfReader(batch.combined)
    root = reader.trailer["/Root"]
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert len(reader.trailer["/ID"]) == 2
    assert reader.metadata.title == "MIDEPLAN OF. N° 01-A/264"
    assert reader.metadata.creation_date.date().isoformat() == "2009-02-05"
    assert raw.startswith(b"%PDF-1.7\n%")
    annotations = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])]
    assert annotations and all(a["/F"] == 4 for a in annotations)
    for page in reader.pages:  # every font embedded
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"]


def test_archive_holds_every_letter_then_the_nomina_with_every_recipient_and_hash(batch):
    reader = PdfReader(batch.combined)
    titles = [item.title for item in reader.outline]
    assert titles == ["01101 Iquique", "08301 Los Ángeles", "12201 Cabo de Hornos",
                      "13120 Ñuñoa", "Nómina de distribución"]
    nomina_page = reader.get_destination_page_number(reader.outline[-1])
    text = "".join(p.extract_text() for p in reader.pages[nomina_page:])
    flat = re.sub(r"\s+", "", text)
    for path in batch.files["pdf"]:
        assert path.name in text
        assert batch.sha256[path] in flat
    for name in ("Iquique", "Los Ángeles", "Cabo de Hornos", "Ñuñoa", "Región del Biobío"):
        assert name in text


def test_nomina_csv_and_manifest_list_every_file_with_its_hash(batch):
    folder = batch.folder
    with (folder / "nomina.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["clave"] for r in rows] == ["01101", "08301", "12201", "13120"]
    assert rows[3]["destinatario"] == "Ñuñoa"
    for row in rows:
        for fmt in ("pdf", "docx"):
            path = folder / row[f"archivo_{fmt}"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row[f"sha256_{fmt}"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["oficio"] == "MIDEPLAN OF. N° 01-A/264" and manifest["cartas"] == 4
    listed = {e["archivo"]: e["sha256"] for e in manifest["archivos"]}
    assert len(listed) == 4 + 4 + 2
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("  ", 1)[1] for line in sums) == sorted(listed)


def test_each_internal_recipient_of_the_distribution_gets_the_archive_copy(batch):
    copies = sorted((batch.folder / "distribucion").glob("*/*.pdf"))
    assert [c.parent.name for c in copies] == [
        "2-gabinete-ministra-de-planificacion",
        "3-archivo-secretaria-ejecutiva-sistema-proteccion-social",
        "4-oficina-de-partes-mideplan"]
    assert all(c.read_bytes() == batch.combined.read_bytes() for c in copies)


def test_per_letter_pdf_a_is_an_option(tmp_path):
    result = generate(Job(template=TEMPLATE, roster=FOUR, output=tmp_path, workers=1,
                          only=("13120",), formats=("pdf",), pdfa=True))
    xmp = PdfReader(result.files["pdf"][0]).xmp_metadata
    assert [e.firstChild.data for e in xmp.get_element("", PDFAID, "part")] == ["2"]
