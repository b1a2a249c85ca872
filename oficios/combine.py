"""The batch's letters in one PDF, one bookmark per recipient (pypdf lives here).

The finished letter PDFs are copied object by object into a file written as it goes, so
memory does not grow with the number of letters: only each object's offset, each page's
number and each bookmark's title are kept until the end. Copying is much cheaper than
rendering the letters again, and the result is byte-identical for identical letters.

With `ArchiveInfo` the file is written as PDF/A-2b, the archive copy: WeasyPrint's letters
already embed their fonts, so what the file needs besides is document-level — XMP metadata
matching the document information, an sRGB output intent, printable annotations and a
file identifier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from oficios.output import atomic_file


@dataclass(frozen=True)
class ArchiveInfo:
    """PDF/A metadata of the archive copy; dates are the oficio's, so rebuilds are identical."""

    title: str
    subject: str
    author: str
    date: dt.date
    language: str = "es-CL"

CATALOG, PAGES, OUTLINES, INFO, FIRST_FREE = 1, 2, 3, 4, 5


class CombinedPdf:
    """Appends letter PDFs to one output PDF; use as a context manager, `add` in order."""

    def __init__(self, path: Path, title: str, archive: ArchiveInfo | None = None) -> None:
        self.path = path
        self.title = title
        self.archive = archive
        self._digest = hashlib.md5(usedforsecurity=False)
        self._output_intents = None
        self._file_cm = atomic_file(path)
        self._out: BinaryIO | None = None
        self._offsets = array("Q", [0] * FIRST_FREE)
        self._pages = array("Q")
        self._bookmarks: list[tuple[str, int]] = []

    def __enter__(self) -> CombinedPdf:
        self._out = self._file_cm.__enter__()
        self._out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        return self

    def __exit__(self, *exc_info) -> bool | None:
        if exc_info[0] is None:
            self._finish()
        return self._file_cm.__exit__(*exc_info)

    def add(self, pdf: Path | bytes, bookmark: str | None) -> None:
        """Appends every page of a PDF (file or bytes), with a bookmark to its first page
        (None: no bookmark, for a continuation).

        When archiving, the first PDF that has an output intent lends it to the whole file.
        """
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
        if self.archive and self._output_intents is None and "/OutputIntents" in reader.trailer["/Root"]:
            self._copy_output_intents(reader)
        for page in reader.pages:
            _copy_inherited(page)
        pages = [page.indirect_reference for page in reader.pages]
        new_ids, objects = self._collect(reader, pages)
        if bookmark is not None:
            self._bookmarks.append((bookmark, new_ids[_key(pages[0])]))
        for old, obj in objects:
            _rewrite_references(obj, new_ids)
            if self.archive and isinstance(obj, dict) and obj.get("/Type") == "/Annot":
                obj[_name("/F")] = _number(4)  # PDF/A: annotations must print
            if old in {_key(p) for p in pages}:
                obj[_name("/Parent")] = _ref(PAGES)
                self._pages.append(new_ids[old])
            self._write_object(new_ids[old], obj)

    def _copy_output_intents(self, reader) -> None:
        intents = reader.trailer["/Root"].raw_get("/OutputIntents")
        refs = [intents] if hasattr(intents, "idnum") else [
            item for item in intents if hasattr(item, "idnum")]
        new_ids, objects = self._collect(reader, refs)
        for old, obj in objects:
            _rewrite_references(obj, new_ids)
            self._write_object(new_ids[old], obj)
        if hasattr(intents, "idnum"):
            self._output_intents = _ref(new_ids[_key(intents)])
        else:
            from pypdf.generic import ArrayObject

            copied = ArrayObject(intents)
            _rewrite_references(copied, new_ids)
            self._output_intents = copied

    def _collect(self, reader, pages) -> tuple[dict, list]:
        """Every object the pages use, in a stable order, with the new number of each."""
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

        new_ids: dict[tuple[int, int], int] = {}
        objects: list[tuple[tuple[int, int], object]] = []
        queue = list(pages)
        while queue:
            ref = queue.pop(0)
            if _key(ref) in new_ids:
                continue
            new_ids[_key(ref)] = len(self._offsets) + len(new_ids)
            obj = ref.get_object()
            objects.append((_key(ref), obj))
            stack = [obj]
            while stack:
                item = stack.pop()
                values = item.items() if isinstance(item, DictionaryObject) else enumerate(item)
                for key, value in values:
                    if key == "/Parent":
                        continue  # the old page tree; pages get the new one
                    if isinstance(value, IndirectObject):
                        queue.append(value)
                    elif isinstance(value, (DictionaryObject, ArrayObject)):
                        stack.append(value)
        return new_ids, objects

    def _write_object(self, number: int, obj) -> None:
        assert number == len(self._offsets)
        self._offsets.append(0)
        self._write_fixed(number, obj)

    def _write_fixed(self, number: int, obj) -> None:
        assert self._out is not None
        self._offsets[number] = self._out.tell()
        buffer = io.BytesIO()
        buffer.write(f"{number} 0 obj\n".encode())
        obj.write_to_stream(buffer)
        buffer.write(b"\nendobj\n")
        data = buffer.getvalue()
        self._digest.update(data)  # the file identifier is a digest of the content
        self._out.write(data)

    def _finish(self) -> None:
        from pypdf.generic import (ArrayObject, DictionaryObject, NameObject, NullObject,
                                   NumberObject, create_string_object)

        first_item = len(self._offsets)
        count = len(self._bookmarks)
        for i, (title, page) in enumerate(self._bookmarks):
            item = DictionaryObject({
                NameObject("/Title"): create_string_object(title),
                NameObject("/Parent"): _ref(OUTLINES),
                NameObject("/Dest"): ArrayObject([_ref(page), NameObject("/XYZ"), NullObject(),
                                                  NullObject(), NullObject()]),
            })
            if i:
                item[NameObject("/Prev")] = _ref(first_item + i - 1)
            if i < count - 1:
                item[NameObject("/Next")] = _ref(first_item + i + 1)
            self._write_object(first_item + i, item)
        outlines = DictionaryObject({NameObject("/Type"): NameObject("/Outlines"),
                                     NameObject("/Count"): NumberObject(count)})
        if count:
            outlines[NameObject("/First")] = _ref(first_item)
            outlines[NameObject("/Last")] = _ref(first_item + count - 1)
        self._write_fixed(OUTLINES, outlines)
        self._write_fixed(PAGES, DictionaryObject({
            NameObject("/Type"): NameObject("/Pages"),
            NameObject("/Kids"): ArrayObject(_ref(p) for p in self._pages),
            NameObject("/Count"): NumberObject(len(self._pages)),
        }))
        catalog = DictionaryObject({
            NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): _ref(PAGES),
            NameObject("/Outlines"): _ref(OUTLINES), NameObject("/PageMode"): NameObject("/UseOutlines"),
        })
        info = DictionaryObject({
            NameObject("/Title"): create_string_object(self.title),
            NameObject("/Producer"): create_string_object("oficios"),
        })
        if self.archive:
            self._add_archive_metadata(catalog, info)
        self._write_fixed(CATALOG, catalog)
        self._write_fixed(INFO, info)
        self._write_xref()

    def _add_archive_metadata(self, catalog, info) -> None:
        from pypdf.generic import DecodedStreamObject, NameObject, create_string_object

        a = self.archive
        assert a is not None
        pdf_date = f"D:{a.date:%Y%m%d}000000Z"
        info.update({
            NameObject("/Title"): create_string_object(a.title),
            NameObject("/Subject"): create_string_object(a.subject),
            NameObject("/Author"): create_string_object(a.author),
            NameObject("/Creator"): create_string_object("oficios"),
            NameObject("/CreationDate"): create_string_object(pdf_date),
            NameObject("/ModDate"): create_string_object(pdf_date),
        })
        metadata = DecodedStreamObject()
        metadata.set_data(xmp_metadata(a).encode("utf-8"))
        metadata.update({NameObject("/Type"): NameObject("/Metadata"),
                         NameObject("/Subtype"): NameObject("/XML")})
        number = len(self._offsets)
        self._write_object(number, metadata)
        catalog[NameObject("/Metadata")] = _ref(number)
        catalog[NameObject("/Lang")] = create_string_object(a.language)
        if self._output_intents is not None:
            catalog[NameObject("/OutputIntents")] = (
                self._output_intents if isinstance(self._output_intents, list)
                else _array([self._output_intents]))

    def _write_xref(self) -> None:
        assert self._out is not None
        start = self._out.tell()
        size = len(self._offsets)
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        lines += [f"{offset:010d} 00000 n \n" for offset in self._offsets[1:]]
        identifier = self._digest.hexdigest()
        lines.append(f"trailer\n<< /Size {size} /Root {CATALOG} 0 R /Info {INFO} 0 R "
                     f"/ID [<{identifier}> <{identifier}>] >>\nstartxref\n{start}\n%%EOF\n")
        self._out.write("".join(lines).encode())


INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def _copy_inherited(page) -> None:
    """Gives the page the attributes it inherits from its old page tree, which is not copied."""
    node = page
    while (parent := node.get("/Parent")) is not None:
        node = parent.get_object()
        for key in INHERITABLE:
            if key not in page and key in node:
                page[_name(key)] = node.raw_get(key)


def _key(ref) -> tuple[int, int]:
    return ref.idnum, ref.generation


def _ref(number: int):
    from pypdf.generic import IndirectObject

    return IndirectObject(number, 0, None)


def _name(text: str):
    from pypdf.generic import NameObject

    return NameObject(text)


def _number(value: int):
    from pypdf.generic import NumberObject

    return NumberObject(value)


def _array(items):
    from pypdf.generic import ArrayObject

    return ArrayObject(items)


def xmp_metadata(a: ArchiveInfo) -> str:
    """The XMP packet declaring PDF/A-2b, with the same title, subject, author and dates."""
    date = f"{a.date:%Y-%m-%d}T00:00:00Z"
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(a.title)}</rdf:li></rdf:Alt></dc:title>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(a.subject)}</rdf:li></rdf:Alt></dc:description>
<dc:creator><rdf:Seq><rdf:li>{escape(a.author)}</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag><rdf:li>{escape(a.language)}</rdf:li></rdf:Bag></dc:language></rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:CreateDate>{date}</xmp:CreateDate><xmp:ModifyDate>{date}</xmp:ModifyDate>
<xmp:MetadataDate>{date}</xmp:MetadataDate><xmp:CreatorTool>oficios</xmp:CreatorTool></rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdf:Producer>oficios</pdf:Producer></rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def _rewrite_references(obj, new_ids: dict[tuple[int, int], int]) -> None:
    """Points every reference inside `obj` at the object's number in the combined file."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    stack = [obj]
    while stack:
        item = stack.pop()
        keys = list(item.keys()) if isinstance(item, DictionaryObject) else range(len(item))
        for key in keys:
            # raw_get and list indexing: pypdf's item access would resolve the reference.
            value = item.raw_get(key) if isinstance(item, DictionaryObject) else list.__getitem__(item, key)
            if isinstance(value, IndirectObject):
                if _key(value) in new_ids:
                    item[key] = _ref(new_ids[_key(value)])
            elif isinstance(value, (DictionaryObject, ArrayObject)):
                stack.append(value)


def pdf_text(path: Path) -> str:
    """All the text of a PDF's pages, for finding what it says (e.g. its verification code)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
