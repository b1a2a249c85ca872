"""Composing a letter's PDF from layers: a shared layer, and its own pages laid under it.

The only module that imports pikepdf. The shared layer is a PDF of everything the letters of
one shape have in common, laid out once (see render_pdf.PdfRenderer.shared_layers); each
letter's own layer pages (its A block and verification code on the first page, its running
head and code on later pages) become form XObjects drawn first on the matching pages, so
a reader extracting the text meets the heading and the A block before the body, as in a
letter rendered whole. Nothing is scaled or moved: layer pages have the letter's page size.

Own layers are stamped when they can be: the first letter of a shape has its own layers laid
out in full once, which tells where each of its lines is drawn and in which style (a stamp
plan); the lines of the other letters are then laid out alone, one under another on one page,
and each is drawn where the shape's letter has it (StampedLayers). Laying out a line alone
costs WeasyPrint about a tenth of a page with margins around it. A plan is used only after
its stamps, drawn for the shape's own letter, give the same glyphs, fonts, sizes, places and
colours as its layers laid out in full; a line that would wrap, a template whose margins say
something else, or anything else a stamp cannot redraw sends the letters back to being laid
out page by page.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from dataclasses import dataclass

from oficios.i18n import gettext as _
from oficios.letter import Letter


class Layers:
    """A PDF whose pages are layers to draw under other pages, opened once."""

    def __init__(self, data: bytes) -> None:
        import pikepdf

        self.pdf = pikepdf.open(io.BytesIO(data))
        # Each page as a form XObject, made once: making it again would add objects to this
        # PDF, and what is copied from it into a letter would depend on what came before.
        self.forms = [page.as_form_xobject() for page in self.pdf.pages]

    def __len__(self) -> int:
        return len(self.pdf.pages)

    def close(self) -> None:
        self.pdf.close()


class StampedLayers(Layers):
    """The letters' own layers drawn from stamps (render_pdf.PdfRenderer.stamp_plan): the
    lines of the letters laid out alone on one page (`lines_pdf`; each different line once),
    each drawn where the letter of the shape has it, in its colour. `places[i * n + j]` is the
    line of letter i's stamp j (n stamps a letter). forms[2 * i] is letter i's first page,
    forms[2 * i + 1] its later pages.

    `widths` are the laid-out lines' widths: a line aligned right starts its width before the
    right end of the shape's. Raises render_pdf.LayoutError if the lines PDF is not as expected.
    """

    def __init__(self, lines_pdf: bytes, widths: Sequence[float], places: Sequence[int], plan,
                 letters: int) -> None:
        import pikepdf

        from oficios.render_pdf import LayoutError

        self.pdf = pikepdf.open(io.BytesIO(lines_pdf))
        page = self.pdf.pages[0]
        records = _text_records(page)
        if len(records) != len(widths) or len(places) != letters * len(plan.stamps):
            raise LayoutError("the stamped lines are not one text each")
        head = f"1 0 0 -1 0 {_number(plan.page_size[1])} cm\nq\n0.75 0 0 0.75 0 0 cm\n".encode()
        self.forms = []
        count = len(plan.stamps)
        for letter in range(letters):
            for number in (0, 1):
                content = [head]
                for index, stamp in enumerate(plan.stamps):
                    if stamp.page != number:
                        continue
                    at = places[letter * count + index]
                    x = stamp.x + stamp.width - widths[at] if stamp.right else stamp.x
                    content.append(
                        " ".join(map(_number, stamp.color)).encode() + b" rg\nBT\n"
                        + f"1 0 0 -1 {_number(x)} {_number(stamp.y)} Tm\n".encode()
                        + pikepdf.unparse_content_stream(records[at][2]) + b"\nET\n")
                content.append(b"Q\n")
                form = pikepdf.Stream(self.pdf, b"".join(content))
                form.stream_dict.Type = pikepdf.Name.XObject
                form.stream_dict.Subtype = pikepdf.Name.Form
                form.stream_dict.BBox = pikepdf.Array([0, 0, *plan.page_size])
                form.stream_dict.Resources = page.Resources
                self.forms.append(self.pdf.make_indirect(form))


def _number(value: float) -> str:
    """A number as WeasyPrint (pydyf) writes it in content streams."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:f}".rstrip("0")


# Operators that change the graphics state or clip but paint nothing.
_STATE = frozenset("q Q cm gs rg RG g G k K cs CS sc scn SC SCN re W W* n w J j M d ri i".split())


def _text_records(content) -> list[tuple]:
    """(fill colour, text matrix, instructions) of each text box that `content` (a page or a
    form) draws, in order: the instructions after each text matrix (Tm) inside a text object,
    up to the next one or the end of the object, beginning with the font it is drawn in
    (WeasyPrint sets a font only when it changes). render_pdf.LayoutError if it draws
    anything but text (an emoji's picture, a line): a stamp would leave that out."""
    import pikepdf

    from oficios.render_pdf import LayoutError

    records: list[tuple] = []
    inside, font, color = False, None, None
    for instruction in pikepdf.parse_content_stream(content):
        operator = str(instruction.operator)
        if not inside and operator not in _STATE and operator != "BT":
            raise LayoutError(f"the own layer draws with {operator}, not only text")
        if operator == "rg":
            color = tuple(float(value) for value in instruction.operands)
        elif operator == "BT":
            inside = True
        elif operator == "ET":
            inside = False
        elif inside and operator == "Tm":
            records.append((color, tuple(float(value) for value in instruction.operands),
                            [] if font is None else [font]))
        elif inside and records:
            drawn = records[-1][2]
            if operator == "Tf":
                font = instruction
                if len(drawn) == 1 and drawn[0] is not font:
                    drawn.clear()  # a font set before any glyph replaces the one carried
            drawn.append(instruction)
    return records


def same_texts(stamped: StampedLayers, laid_out: bytes) -> bool:
    """Whether the first letter's two stamped forms draw the texts the two pages of its layers
    laid out in full draw: the same glyphs of the same fonts at the same sizes, places and
    colours (the fonts' subsets and resource names aside)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(laid_out)) as pdf:
        return [_texts(form) for form in stamped.forms[:2]] == [_texts(page) for page in pdf.pages]


def _texts(content) -> list[str]:
    import pikepdf

    fonts = {str(name): str(font.get("/BaseFont", "")).split("+")[-1]
             for name, font in content.Resources.get("/Font", {}).items()}

    def described(instruction):
        if str(instruction.operator) == "Tf":
            return fonts.get(str(instruction.operands[0])), float(instruction.operands[1])
        return pikepdf.unparse_content_stream([instruction])

    return sorted(repr((color, matrix, [described(i) for i in drawn]))
                  for color, matrix, drawn in _text_records(content))


def compose(below: bytes, heading: Layers, own: Layers, first: int, title: str) -> bytes:
    """The letter: the pages of `below`, with the heading (page 0 of `heading`) and the
    letter's own first page (page `first` of `own`) drawn first on its first page, and its
    own later page (page `first + 1`) drawn first on every other page.

    `title` replaces the shared layer's title in the document information and, for PDF/A,
    in the XMP metadata, which must agree. Output bytes depend only on the inputs.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(below)) as pdf:
        pages = pdf.pages
        # Drawn first is read first: the heading, then the A block, then the body.
        # Pages may share one resource dictionary: each layer has a name of its own.
        _draw_first(pages[0], pdf.copy_foreign(own.forms[first]), "/OficiosPrimera")
        _draw_first(pages[0], pdf.copy_foreign(heading.forms[0]), "/OficiosMembrete")
        if len(pages) > 1:
            later = pdf.copy_foreign(own.forms[first + 1])
            for page in pages[1:]:
                _draw_first(page, later, "/OficiosSiguiente")
        pdf.docinfo["/Title"] = pikepdf.String(title)
        if "/Metadata" in pdf.Root:
            with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
                xmp["dc:title"] = title
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def _draw_first(page, form, name: str) -> None:
    """Draws a form XObject of the page's size before the page's own content.

    The resource gets a fixed name (pikepdf's add_underlay picks a random one, and the
    letter's bytes would change from run to run).
    """
    import pikepdf

    page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(name))
    page.contents_add(f"q {name} Do Q\n".encode(), prepend=True)


# What each letter of a shape shares is everything but what its own layers draw: the A block,
# the margins' texts (recipient, verification code) and the title that names the recipient.
# Any other field, including one added to Letter later, counts as shared, so a letter that
# differs there is never given another letter's layer.
OWN_FIELDS = dict(key="", slug="", title="")
# Template places drawn by the letter's own layers; a roster value used anywhere else makes
# the shared part differ between recipients.
OWN_PLACES = ("[a]",)


def shared_part(letter: Letter) -> Letter:
    """The letter without what its own layers draw: equal for letters that share a layer."""
    from oficios.letter import Party

    return dataclasses.replace(
        letter, addressee=Party(letter.addressee.label, ()),
        # Hidden, but whether they are empty moves the layout (an empty paragraph lets the
        # heading's margin collapse through it).
        recipient_name="x" if letter.recipient_name else "",
        verification="x" if letter.verification else "", **OWN_FIELDS)


@dataclass(frozen=True)
class Plan:
    """How a batch's PDFs are made: composed from `shared` shared parts, or each whole.

    `reason` says why letters are rendered whole ("" when composed).
    """

    compose: bool
    shared: int
    reason: str = ""


def plan(letters: Sequence[Letter], template, *, exact: bool = False) -> Plan:
    """Composes when letters share their body; otherwise (or with `exact`) renders each whole."""
    if exact:
        return Plan(False, 0, _("--exact asks for every letter to be rendered whole"))
    if any(letter.qr for letter in letters):
        return Plan(False, 0, _("each letter's QR code is drawn in its foot"))
    shared = len({shared_part(letter) for letter in letters})
    # Each shared part is laid out whole once per worker: worth it when shared by several.
    if len(letters) < 2 or (shared > 1 and shared * 4 > len(letters)):
        if len(letters) < 2:
            return Plan(False, shared, _("one letter has nothing to share"))
        used = sorted(name for name, places in template.required_variables().items()
                      if any(not place.startswith(OWN_PLACES) for place in places))
        named = _(" (it uses {names})").format(names=", ".join(used)) if used else ""
        return Plan(False, shared, _("the body differs between recipients{names}: {shared} "
                                     "different bodies for {letters} letters").format(
            names=named, shared=shared, letters=len(letters)))
    return Plan(True, shared)


class ComposingRenderer:
    """Renders chunks of letters as composed PDFs; a render_pdf.PdfRenderer lays out the
    layers. Shared layers are kept per shape (shared part and height of the A block), so a
    letter whose A block wraps to another line gets shared layers of its own shape; own layers
    are stamped when the chunk's letters all have the shape of their body's first letter and
    its plan passed its check (see the module's docstring), else laid out page by page."""

    KEEP = 32  # shapes kept per process; a batch has a handful

    def __init__(self, pdf) -> None:
        self.pdf = pdf
        self.shapes: dict[tuple, tuple] = {}  # (shared part, A height) -> (SharedLayers, Layers)
        self.tops: dict[Letter, float] = {}  # shared part -> where its A block starts
        self.plans: dict[Letter, tuple | None] = {}  # shared part -> (StampPlan, A height)

    def render_all(self, letters: Sequence[Letter]) -> list[bytes]:
        from oficios.render_pdf import LayoutError

        parts = [shared_part(letter) for letter in letters]
        for letter, part in zip(letters, parts, strict=True):
            if part not in self.tops:  # the first letter of a body: lay it out whole to learn
                layers = self.pdf.shared_layers(_neutral(letter, part))
                self.tops[part] = layers.addressee_top
                self._keep((part, layers.addressee_height), layers)
                self.plans[part] = self._plan(letter, part, layers.addressee_height)
        own_layers = self._stamped(letters, parts)
        if own_layers is not None:
            heights = [self.plans[part][1] for part in parts]
        else:
            try:
                own, heights = self.pdf.own_layers(letters, [self.tops[part] for part in parts])
            except LayoutError:  # an A block longer than a page: these letters are made whole
                return [self.pdf.render(letter) for letter in letters]
            own_layers = Layers(own)
        try:
            out = []
            for index, (letter, part, height) in enumerate(zip(letters, parts, heights, strict=True)):
                shape = self._shape(letter, part, height)
                if shape is None:  # its layers would not line up: render this one whole
                    out.append(self.pdf.render(letter))
                    continue
                shared, heading = shape
                out.append(compose(shared.below, heading, own_layers, 2 * index,
                                   letter.title or letter.number))
            return out
        finally:
            own_layers.close()

    def _plan(self, letter: Letter, part: Letter, height: float) -> tuple | None:
        """(stamp plan, A block height) of the shape of this body's first letter, if its own
        layers can be stamped and the stamps draw exactly what laying them out draws."""
        from oficios.render_pdf import LayoutError

        plan = self.pdf.stamp_plan(letter, self.tops[part])
        if plan is None:
            return None
        try:
            stamped = self._stamp([letter], plan)
            if stamped is None:
                return None
            try:
                return (plan, height) if same_texts(stamped, plan.laid_out) else None
            finally:
                stamped.close()
        except LayoutError:
            return None

    def _stamped(self, letters: Sequence[Letter], parts: Sequence[Letter]) -> StampedLayers | None:
        """The chunk's own layers from stamps, when its letters share one body whose shape has
        a plan and every letter's A block has that shape's lines; else None (laid out)."""
        from oficios.render_pdf import LayoutError

        if len(set(parts)) != 1 or self.plans.get(parts[0]) is None:
            return None
        plan = self.plans[parts[0]][0]
        if any(len(letter.addressee.lines) != plan.lines or not all(letter.addressee.lines)
               for letter in letters):
            return None
        try:
            return self._stamp(letters, plan)
        except LayoutError:
            return None

    def _stamp(self, letters: Sequence[Letter], plan) -> StampedLayers | None:
        """The letters' own layers stamped after `plan`; None if a line would not fit."""
        from oficios.render_pdf import stamp_texts

        wanted = []  # (css, text) of each stamp of each letter
        for letter in letters:
            texts = stamp_texts(letter)
            wanted += [(stamp.css, texts["lines"][stamp.index] if stamp.kind == "line"
                        else texts[stamp.kind]) for stamp in plan.stamps]
        lines = list(dict.fromkeys(wanted))  # each line laid out once (headings' lines repeat)
        laid = self.pdf.stamp_lines(lines, letters[0].language)
        if laid is None:
            return None
        pdf, widths = laid
        at = {line: index for index, line in enumerate(lines)}
        places = [at[line] for line in wanted]
        # A line wider than its room would wrap in the letter (and change its shape).
        if any(widths[place] > stamp.room
               for place, stamp in zip(places, plan.stamps * len(letters), strict=True)):
            return None
        return StampedLayers(pdf, widths, places, plan, len(letters))

    def _shape(self, letter: Letter, part: Letter, height: float) -> tuple | None:
        """The shared layers of the letter's shape; None if the whole letter lays its A block
        out elsewhere than its own layer did (not seen; then composing would misplace it)."""
        key = (part, height)
        if key not in self.shapes:
            layers = self.pdf.shared_layers(_neutral(letter, part))
            if (layers.addressee_top, layers.addressee_height) != (self.tops[part], height):
                return None
            self._keep(key, layers)
        return self.shapes[key]

    def _keep(self, key: tuple, layers) -> None:
        if len(self.shapes) >= self.KEEP:
            _key, (_shape, heading) = self.shapes.popitem()  # (the newest: the oldest may be in use)
            heading.close()
        self.shapes[key] = (layers, Layers(layers.heading))


def _neutral(letter: Letter, part: Letter) -> Letter:
    """The letter as its shared layers are laid out: its A block (which gives the shape) and
    nothing else of its own, so the layers' bytes do not depend on which letter made them."""
    return dataclasses.replace(part, addressee=letter.addressee)


# Reading finished PDFs for the archive copy (combine.py writes it): qpdf parses, which is many
# times faster than a pure-Python parser, and each object is handed over as bytes with holes
# where it refers to other objects, so the writer can number them and share equal ones.

PARENT = None  # a hole for the page's new /Parent


@dataclass
class ObjectGraph:
    """The objects the pages of a PDF use, each as parts: bytes, the key of an object it
    refers to, or PARENT (pages only). Keys are the objects' numbers in the source."""

    pages: list[int]
    objects: dict[int, list]
    output_intents: list[int]


INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def object_graph(source, printable_annotations: bool = False) -> ObjectGraph:
    """The pages of the PDF `source` (a path or bytes) and every object they use, but their old
    page tree; with `printable_annotations`, annotations get /F 4 (PDF/A wants them printed)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source) as pdf:
        graph = ObjectGraph([], {}, [])
        queue = []
        for page in pdf.pages:
            obj = page.obj
            inherited = {}
            node = obj
            while "/Parent" in node:
                node = node.Parent
                for key in INHERITABLE:
                    if key not in obj and key not in inherited and key in node:
                        inherited[key] = node.get(key)
            graph.pages.append(obj.objgen[0])
            graph.objects[obj.objgen[0]] = _parts(obj, queue, page=True, extra=inherited)
        intents = pdf.Root.get("/OutputIntents")
        if intents is not None:
            for index, item in enumerate(intents if isinstance(intents, pikepdf.Array) else [intents]):
                if item.is_indirect:
                    graph.output_intents.append(item.objgen[0])
                    queue.append(item)
                else:  # a direct dictionary becomes an object of its own (negative key)
                    graph.output_intents.append(-1 - index)
                    graph.objects[-1 - index] = _parts(item, queue)
        while queue:
            obj = queue.pop()
            number = obj.objgen[0]
            if number in graph.objects:
                continue
            annotation = printable_annotations and isinstance(obj, pikepdf.Dictionary) \
                and obj.get("/Type") == pikepdf.Name.Annot
            graph.objects[number] = _parts(obj, queue, extra={"/F": 4} if annotation else {})
        return graph


def _parts(obj, queue: list, page: bool = False, extra: dict | None = None) -> list:
    import pikepdf

    parts: list = []
    if isinstance(obj, pikepdf.Stream):
        raw = obj.read_raw_bytes()
        items = {k: v for k, v in obj.stream_dict.items() if k not in ("/Length", "/DecodeParms")
                 or (k == "/DecodeParms" and not _is_null(v))}
        items["/Length"] = len(raw)
        _dictionary(items, parts, queue)
        parts.append(b"\nstream\n" + raw + b"\nendstream")
        return parts
    items = {k: v for k, v in obj.items() if not (page and k == "/Parent")}
    items.update(extra or {})
    if page:
        items["/Parent"] = PARENT
    _dictionary(items, parts, queue) if isinstance(obj, pikepdf.Dictionary) else _value(obj, parts, queue)
    return parts


def _dictionary(items: dict, parts: list, queue: list) -> None:
    parts.append(b"<<")
    for key in sorted(items):
        parts.append(key.encode("latin-1") if key.isascii() else _name_bytes(key))
        parts.append(b" ")
        value = items[key]
        if value is PARENT:
            parts.append(PARENT)
        else:
            _value(value, parts, queue, top=False)
        parts.append(b" ")
    parts.append(b">>")


def _value(value, parts: list, queue: list, top: bool = True) -> None:
    import pikepdf

    if isinstance(value, pikepdf.Object) and not top and value.is_indirect:
        queue.append(value)
        parts.append(value.objgen[0])
        return
    if isinstance(value, (pikepdf.Dictionary, pikepdf.Array)):
        raw = value.unparse()
        if b" R" not in raw:  # refers to no other object (a string may hold " R": then walk)
            parts.append(raw)
            return
    if isinstance(value, pikepdf.Dictionary):
        _dictionary(dict(value.items()), parts, queue)
    elif isinstance(value, pikepdf.Array):
        parts.append(b"[")
        for item in value:
            _value(item, parts, queue, top=False)
            parts.append(b" ")
        parts.append(b"]")
    elif isinstance(value, pikepdf.Object):
        parts.append(value.unparse())
    elif isinstance(value, bool):
        parts.append(b"true" if value else b"false")
    elif value is None:
        parts.append(b"null")
    elif isinstance(value, int):
        parts.append(b"%d" % value)
    else:  # Decimal, float
        parts.append(str(value).encode("ascii"))


def _is_null(value) -> bool:
    return value is None


def _name_bytes(key: str) -> bytes:
    import pikepdf

    return pikepdf.Name(key).unparse()
