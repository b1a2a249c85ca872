"""The batch's letters in one PDF for printing, one bookmark per recipient (pypdf lives here).

The finished letter PDFs are copied object by object into a file written as it goes, so
memory does not grow with the number of letters: only each object's offset, each page's
number and each bookmark's title are kept until the end. Copying is much cheaper than
rendering the letters again, and the result is byte-identical for identical letters.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import BinaryIO

from oficios.output import atomic_file

CATALOG, PAGES, OUTLINES, INFO, FIRST_FREE = 1, 2, 3, 4, 5


class CombinedPdf:
    """Appends letter PDFs to one output PDF; use as a context manager, `add` in order."""

    def __init__(self, path: Path, title: str) -> None:
        self.path = path
        self.title = title
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

    def add(self, pdf_file: Path, bookmark: str) -> None:
        """Appends every page of one letter's PDF, with a bookmark to its first page."""
        from pypdf import PdfReader

        reader = PdfReader(pdf_file)
        for page in reader.pages:
            _copy_inherited(page)
        pages = [page.indirect_reference for page in reader.pages]
        new_ids, objects = self._collect(reader, pages)
        self._bookmarks.append((bookmark, new_ids[_key(pages[0])]))
        for old, obj in objects:
            _rewrite_references(obj, new_ids)
            if old in {_key(p) for p in pages}:
                obj[_name("/Parent")] = _ref(PAGES)
                self._pages.append(new_ids[old])
            self._write_object(new_ids[old], obj)

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
        assert self._out is not None and number == len(self._offsets)
        self._offsets.append(self._out.tell())
        self._out.write(f"{number} 0 obj\n".encode())
        obj.write_to_stream(self._out)
        self._out.write(b"\nendobj\n")

    def _write_fixed(self, number: int, obj) -> None:
        assert self._out is not None
        self._offsets[number] = self._out.tell()
        self._out.write(f"{number} 0 obj\n".encode())
        obj.write_to_stream(self._out)
        self._out.write(b"\nendobj\n")

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
        self._write_fixed(CATALOG, DictionaryObject({
            NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): _ref(PAGES),
            NameObject("/Outlines"): _ref(OUTLINES), NameObject("/PageMode"): NameObject("/UseOutlines"),
        }))
        self._write_fixed(INFO, DictionaryObject({
            NameObject("/Title"): create_string_object(self.title),
            NameObject("/Producer"): create_string_object("oficios"),
        }))
        self._write_xref()

    def _write_xref(self) -> None:
        assert self._out is not None
        start = self._out.tell()
        size = len(self._offsets)
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        lines += [f"{offset:010d} 00000 n \n" for offset in self._offsets[1:]]
        lines.append(f"trailer\n<< /Size {size} /Root {CATALOG} 0 R /Info {INFO} 0 R >>\n"
                     f"startxref\n{start}\n%%EOF\n")
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
