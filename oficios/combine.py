"""The batch's letters in one PDF, one bookmark per recipient.

The finished letter PDFs are copied object by object (read by compose.object_graph) into a
file written as it goes, so memory does not grow with the number of letters: only each
object's offset and each page's number (8 bytes each) are kept until the end; bookmarks are
written as they come, and digests of the most recently used objects are kept. An object equal
to one of those is not written again, so the letters' common parts (layouts, fonts) are in
the file once. Copying is much cheaper than
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
        # The outline is written as it goes: each bookmark once the next one's number is
        # known; the last waits here (title, page, its number, the previous one's).
        self._bookmark: tuple[str, int, int, int | None] | None = None
        self._first_bookmark: int | None = None
        self._bookmarks = 0
        self._written = _Recent(WRITTEN_KEPT)  # SHA-256 of objects written -> their numbers

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
        An object equal to one already written (the shared layers' fonts and content, the
        fonts of a chunk's own layers) is not written again: the copy refers to the first.
        """
        from oficios.compose import object_graph

        graph = object_graph(pdf, printable_annotations=self.archive is not None)
        copied: dict[int, int] = {}
        # Pages are written whatever they share: numbers first, so objects may point back.
        for key in graph.pages:
            copied[key] = self._reserve()
        for key in graph.pages:
            self._write_parts(copied[key], graph.objects[key], graph, copied, set())
        if self.archive and self._output_intents is None and graph.output_intents:
            intents = [self._copy(key, graph, copied, set()) for key in graph.output_intents]
            self._output_intents = _array([_ref(number) for number in intents])
        if bookmark is not None:
            self._add_bookmark(bookmark, copied[graph.pages[0]])
        self._pages.extend(copied[key] for key in graph.pages)

    def _copy(self, key: int, graph, copied: dict, visiting: set) -> int:
        """The new number of the source object `key`, writing it (children first) if no equal
        object has been written; an object in a reference cycle is written unshared."""
        if key in copied:
            return copied[key]
        if key in visiting:  # a cycle: give it a number now, write it when its turn comes
            copied[key] = self._reserve()
            return copied[key]
        visiting.add(key)
        parts = graph.objects[key]
        numbers = {part: self._copy(part, graph, copied, visiting)
                   for part in parts if isinstance(part, int)}
        visiting.discard(key)
        if key in copied:  # reserved by a cycle
            self._write_data(copied[key], _join(parts, numbers))
            return copied[key]
        data = _join(parts, numbers)
        digest = hashlib.sha256(data).digest()
        if (number := self._written.get(digest)) is None:
            number = self._written[digest] = self._reserve()
            self._write_data(number, data)
        copied[key] = number
        return number

    def _write_parts(self, number: int, parts: list, graph, copied: dict, visiting: set) -> None:
        numbers = {part: self._copy(part, graph, copied, visiting)
                   for part in parts if isinstance(part, int)}
        self._write_data(number, _join(parts, numbers))

    def _reserve(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def _write_object(self, number: int, obj) -> None:
        assert number == len(self._offsets)
        self._offsets.append(0)
        self._write_fixed(number, obj)

    def _write_fixed(self, number: int, obj) -> None:
        self._write_data(number, _serialize(obj))

    def _write_data(self, number: int, body: bytes) -> None:
        assert self._out is not None
        self._offsets[number] = self._out.tell()
        data = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        self._digest.update(data)  # the file identifier is a digest of the content
        self._out.write(data)

    def _add_bookmark(self, title: str, page: int) -> None:
        number = self._reserve()
        previous = None
        if self._bookmark is not None:
            previous = self._bookmark[2]
            self._write_bookmark(*self._bookmark, following=number)
        else:
            self._first_bookmark = number
        self._bookmark = (title, page, number, previous)
        self._bookmarks += 1

    def _write_bookmark(self, title: str, page: int, number: int, previous: int | None,
                        following: int | None) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NullObject, \
            create_string_object

        item = DictionaryObject({
            NameObject("/Title"): create_string_object(title),
            NameObject("/Parent"): _ref(OUTLINES),
            NameObject("/Dest"): ArrayObject([_ref(page), NameObject("/XYZ"), NullObject(),
                                              NullObject(), NullObject()]),
        })
        if previous is not None:
            item[NameObject("/Prev")] = _ref(previous)
        if following is not None:
            item[NameObject("/Next")] = _ref(following)
        self._write_fixed(number, item)

    def _finish(self) -> None:
        from pypdf.generic import (ArrayObject, DictionaryObject, NameObject, NumberObject,
                                   create_string_object)

        count = self._bookmarks
        if self._bookmark is not None:
            self._write_bookmark(*self._bookmark, following=None)
        outlines = DictionaryObject({NameObject("/Type"): NameObject("/Outlines"),
                                     NameObject("/Count"): NumberObject(count)})
        if count:
            outlines[NameObject("/First")] = _ref(self._first_bookmark)
            outlines[NameObject("/Last")] = _ref(self._bookmark[2])
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


# How many digests of written objects are remembered, most recently used first (≈ 3 MB).
# Objects of the shared layers recur in every letter and stay; a chunk's fonts recur within
# the chunk; a letter's own objects never recur and leave. An object met again after this many
# others is written again: the file is a little larger, never wrong, and memory stays flat.
# (4,096 wrote a 5,000-letter archive copy of 13.10 MB instead of 12.75: the objects of the
# shape of a wrapped name came back every 345 letters, ≈ 4,000 objects later.)
WRITTEN_KEPT = 16384


class _Recent:
    """A mapping that keeps its `size` most recently used keys."""

    def __init__(self, size: int) -> None:
        from collections import OrderedDict

        self.size = size
        self._items: OrderedDict = OrderedDict()

    def get(self, key):
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def __setitem__(self, key, value) -> None:
        self._items[key] = value
        if len(self._items) > self.size:
            self._items.popitem(last=False)


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


def _join(parts: list, numbers: dict[int, int]) -> bytes:
    """An object's bytes from its parts (see compose.object_graph), with new numbers."""
    return b"".join(part if isinstance(part, bytes) else
                    b"%d 0 R" % (PAGES if part is None else numbers[part]) for part in parts)


def _serialize(obj) -> bytes:
    buffer = io.BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


def pdf_text(path: Path) -> str:
    """All the text of a PDF's pages, for finding what it says (e.g. its verification code)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
