"""Where the time of one letter's PDF goes, stage by stage, in one process.

Run: `.venv/bin/python bench/profile_pdf.py [--letters 60] [--cprofile]`. Prints the mean
milliseconds per letter of each stage: ours (merge, HTML layout, write + hash) and
WeasyPrint's (parse, style + layout, draw + PDF). `--cprofile` adds the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oficios.merge import Merger  # noqa: E402
from oficios.output import write_atomic  # noqa: E402
from oficios.render_pdf import PdfRenderer  # noqa: E402
from oficios.roster import load_roster  # noqa: E402
from oficios.template import OficioTemplate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=60)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    from weasyprint import HTML

    template = OficioTemplate(ROOT / "templates" / "mideplan-01-A-264")
    recipients = load_roster(ROOT / "recipients" / "municipalidades.csv", key_column="cut",
                             key_digits=5).recipients[:args.letters]
    merger, renderer = Merger(template), PdfRenderer(template.folder)
    renderer.render(merger.merge(recipients[0]))  # warm caches (fonts, CSS)
    stages = dict.fromkeys(["merge (ours)", "HTML layout (ours, Jinja)", "WeasyPrint: parse HTML",
                            "WeasyPrint: style + layout", "WeasyPrint: draw + write PDF",
                            "write file + SHA-256 (ours)"], 0.0)
    names = list(stages)
    profile = cProfile.Profile() if args.cprofile else None
    with tempfile.TemporaryDirectory() as out:
        if profile:
            profile.enable()
        for recipient in recipients:
            t0 = time.perf_counter()
            letter = merger.merge(recipient)
            t1 = time.perf_counter()
            html = renderer.html(letter)
            t2 = time.perf_counter()
            document = HTML(string=html, base_url=str(template.folder), url_fetcher=renderer.fetcher)
            t3 = time.perf_counter()
            rendered = document.render(stylesheets=renderer.css, font_config=renderer.font_config)
            t4 = time.perf_counter()
            data = rendered.write_pdf()
            t5 = time.perf_counter()
            write_atomic(Path(out) / f"{letter.key}.pdf", data)
            hashlib.sha256(data).hexdigest()
            t6 = time.perf_counter()
            for name, (a, b) in zip(names, [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5), (t5, t6)],
                                    strict=True):
                stages[name] += b - a
        if profile:
            profile.disable()
    n = len(recipients)
    total = sum(stages.values())
    print(f"PDF of one letter, mean of {n} letters, one process:")
    for name, seconds in stages.items():
        print(f"  {name:32s} {1000 * seconds / n:6.2f} ms  {100 * seconds / total:5.1f} %")
    print(f"  {'total':32s} {1000 * total / n:6.2f} ms")
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
