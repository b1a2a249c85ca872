"""The README's table "What happens with bad input" cannot drift: its samples and tests exist."""

from __future__ import annotations

import ast
import re

from conftest import DATA, ROOT

TESTS = ROOT / "tests"


def table_rows() -> list[list[str]]:
    """The table's rows as cells, header and rule left out."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What happens with bad input", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")][2:]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def named_tests(cell: str, previous: str) -> list[tuple[str, str]]:
    """(file, test) pairs in a cell; `::name` is in the file named before it."""
    pairs = []
    for file, name in re.findall(r"`([\w.]*)::(\w+)`", cell):
        previous = file or previous
        pairs.append((previous, name))
    return pairs


def test_every_case_names_a_sample_that_exists_and_a_test_that_exists():
    rows = table_rows()
    assert len(rows) >= 30
    previous_tests: list[tuple[str, str]] = []
    for case, sample, _what, tests in rows:
        for name in re.findall(r"`([^`]+)`", sample):
            assert (DATA / name).exists(), (case, name)
        found = [] if tests == "same" else named_tests(tests, "")
        previous_tests = found or previous_tests
        assert previous_tests, case
        for file, test in previous_tests:
            tree = ast.parse((TESTS / file).read_text(encoding="utf-8"))
            functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
            assert test in functions, (case, file, test)
