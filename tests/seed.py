"""The seed letter (tests/data/seed-oficio-01-A-264.md, a copy of shared/seeds/) as test data.

Gives the seed's sentences in order, its bold phrases and its distribution list, with the
Markdown marks removed, so tests can look for them in the PDF and DOCX that were produced.
"""

from __future__ import annotations

import re
from pathlib import Path

SEED = Path(__file__).parent / "data" / "seed-oficio-01-A-264.md"
_SENTENCE_END = re.compile(r"(?<=[.:])\s+(?=[A-ZÁÉÍÓÚÑ(¿¡])")


def normalize(text: str) -> str:
    """Whitespace folded to single spaces (PDF text extraction breaks lines anywhere)."""
    return re.sub(r"\s+", " ", text).strip()


def _plain(markdown: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", markdown)  # links -> their text
    text = text.replace("**", "")
    text = re.sub(r"^\s*(?:- |\d+\. )", "", text, flags=re.M)
    return normalize(text)


def _body_markdown() -> str:
    """The seed from the first body paragraph to the closing line, inclusive."""
    text = SEED.read_text(encoding="utf-8")
    start = text.index("Mediante el presente")
    end = text.index("muy atentamente,") + len("muy atentamente,")
    return text[start:end]


def body_sentences() -> list[str]:
    """Every sentence of the body and closing, in order, without Markdown marks."""
    sentences = []
    for paragraph in re.split(r"\n\s*\n|\n(?=- )", _body_markdown()):
        sentences += [s for s in _SENTENCE_END.split(_plain(paragraph)) if s]
    return sentences


def body_paragraphs() -> list[str]:
    """Every paragraph and list item of the body and closing, without Markdown marks."""
    return [_plain(p) for p in re.split(r"\n\s*\n|\n(?=- )", _body_markdown()) if p.strip()]


def bold_phrases() -> list[str]:
    """The phrases the seed sets in bold inside the body."""
    return [normalize(m) for m in re.findall(r"\*\*(.+?)\*\*", _body_markdown(), flags=re.S)]


def distribution() -> list[str]:
    """The distribution list's lines, in order."""
    text = SEED.read_text(encoding="utf-8")
    tail = text[text.index("**Distribución:**"):]
    return re.findall(r"^\d+\. (.+)$", tail, flags=re.M)


SIGNATURE = ["PAULA QUINTANA MELÉNDEZ", "MINISTRA DE PLANIFICACIÓN"]
INITIALS = "XSL/PJM/MMSM/CSB/mnq"
HEADER = [
    "MIDEPLAN OF. N° 01-A/264",
    "ANT.: No hay.",
    "MAT.: Informa Encuentro Nacional del Sistema Intersectorial de Protección Social.",
    "SANTIAGO, 05 de Febrero de 2009",
]


def find_in_order(haystack: str, needles: list[str]) -> list[str]:
    """The needles not found in the (normalized) haystack in the given order; [] if all are."""
    missing, position = [], 0
    text = normalize(haystack)
    for needle in needles:
        found = text.find(normalize(needle), position)
        if found < 0:
            missing.append(needle)
        else:
            position = found + len(normalize(needle))
    return missing
