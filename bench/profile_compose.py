"""Where the time of one composed letter goes, stage by stage, in one process.

Run: `.venv/bin/python bench/profile_compose.py [--letters 96]`. Prints the mean CPU
milliseconds per letter of each stage of the default batch (PDF composed from layers, DOCX,
file + hash, archive copy), and of a letter rendered whole for comparison. CPU time
(`time.process_time`) rather than wall time, so a busy machine disturbs it less.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oficios.combine import CombinedPdf  # noqa: E402
from oficios.compose import ComposingRenderer, Layers, compose, shared_part  # noqa: E402
from oficios.merge import Merger  # noqa: E402
from oficios.output import write_atomic  # noqa: E402
from oficios.render_docx import DocxRenderer  # noqa: E402
from oficios.render_pdf import PdfRenderer  # noqa: E402
from oficios.roster import load_roster  # noqa: E402
from oficios.template import OficioTemplate  # noqa: E402

CHUNK = 24


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=96)
    args = parser.parse_args()
    template = OficioTemplate(ROOT / "templates" / "mideplan-01-A-264")
    recipients = load_roster(ROOT / "recipients" / "municipalidades.csv", key_column=template.key_column,
                             key_digits=template.key_digits).recipients[:args.letters]
    merger, pdf, docx = Merger(template), PdfRenderer(template.folder), DocxRenderer()
    composer = ComposingRenderer(pdf)
    stages: dict[str, float] = {}

    def timed(name, function, *arguments):
        started = time.process_time()
        value = function(*arguments)
        stages[name] = stages.get(name, 0.0) + time.process_time() - started
        return value

    composer.render_all([merger.merge(r, verification="WARM-UPXX-XX") for r in recipients[:2]])
    started = time.process_time()
    composer.shapes.clear()
    composer.tops.clear()
    composer.render_all([merger.merge(recipients[0], verification="WARM-UPXX-XX")])
    shared_once = time.process_time() - started
    with tempfile.TemporaryDirectory() as out:
        out = Path(out)
        with CombinedPdf(out / "combinado.pdf", "bench") as combined:
            for start in range(0, len(recipients), CHUNK):
                letters = [timed("merge (main process)", merger.merge, r, None,
                                 f"CODE-{i:04d}-XX") for i, r in enumerate(recipients[start:start + CHUNK])]
                parts = [shared_part(letter) for letter in letters]
                tops = [composer.tops[part] for part in parts]
                own = timed("own layers: stamped lines (WeasyPrint, pikepdf)", composer._stamped,
                            letters, parts)
                if own is None:  # the letters' own layers laid out page by page, as a fallback
                    html = pdf.env.get_template("oficio-capas.html.j2").render(letters=letters,
                                                                               tops=tops)
                    document = timed("own layers laid out: WeasyPrint layout", pdf._lay_out,
                                     html, "oficio-capas.css")
                    own = Layers(timed("own layers laid out: WeasyPrint draw + write",
                                       document.write_pdf))
                for index, letter in enumerate(letters):
                    shared, heading = next(iter(composer.shapes.values()))
                    data = timed("compose (pikepdf/qpdf)", compose, shared.below, heading, own,
                                 2 * index, letter.title)
                    timed("PDF file + SHA-256", _write, out / f"{letter.key}.pdf", data)
                    word = timed("DOCX", docx.render, letter)
                    timed("DOCX file + SHA-256", _write, out / f"{letter.key}.docx", word)
                    timed("archive copy (main process)", combined.add, out / f"{letter.key}.pdf",
                          letter.key)
                own.close()
        whole_started = time.process_time()
        for recipient in recipients[:24]:
            pdf.render(dataclasses.replace(merger.merge(recipient), verification="CODE-0000-XX"))
        whole = (time.process_time() - whole_started) / 24
    n = len(recipients)
    total = sum(stages.values())
    print(f"One letter of the default batch, mean of {n} letters (chunks of {CHUNK}), CPU time, "
          "one process:")
    for name, seconds in stages.items():
        print(f"  {name:48s} {1000 * seconds / n:6.2f} ms  {100 * seconds / total:5.1f} %")
    print(f"  {'total':48s} {1000 * total / n:6.2f} ms")
    print(f"  shared layers of a shape, once per worker process: {1000 * shared_once:.0f} ms")
    print(f"A PDF rendered whole (--exact), mean of 24: {1000 * whole:.2f} ms")


def _write(path: Path, data: bytes) -> str:
    write_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


if __name__ == "__main__":
    main()
