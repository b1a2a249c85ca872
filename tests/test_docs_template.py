"""The README's "The template" and "Python API" sections cannot drift from the code."""

from __future__ import annotations

import re

from conftest import ROOT
from oficios.template_schema import KEYS

README = ROOT / "README.md"


def section(title: str) -> str:
    return README.read_text(encoding="utf-8").split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_documents_every_key_of_the_schema_with_an_example():
    text = section("The template")
    for key in KEYS:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{key.where}` |")), None)
        assert row is not None, f"README does not document {key.where}"
        assert f"`{key.example.replace('|', chr(92) + '|')}`" in row, key.where


def test_the_readme_documents_no_key_the_schema_lacks():
    documented = re.findall(r"^\| `\[(\w+)\] (\w+)` \|", section("The template"), flags=re.M)
    assert sorted(documented) == sorted((k.table, k.name) for k in KEYS)


def test_the_python_api_example_runs(tmp_path, monkeypatch):
    import oficios

    code = re.search(r"```python\n(.*?)```", section("Python API"), flags=re.S)[1]
    code = code.replace('"/tmp/envio"', repr(str(tmp_path / "envio")))
    monkeypatch.chdir(ROOT)
    printed = []
    exec(compile(code, "README.md", "exec"), {"print": lambda *a: printed.append(a)})
    assert printed == [(16, "cartas"), ("verified",), (16,)]
    assert set(re.findall(r"oficios\.(\w+)\(", code)) <= set(oficios.__all__)
