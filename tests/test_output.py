"""Output files: names inside the output folder, and writes that are complete or absent."""

from __future__ import annotations

import dataclasses

import pytest

from oficios.errors import OutputError
from oficios.output import OutputLayout, remove_partial_files, write_atomic


def test_file_names_are_ascii_slugs_of_key_and_name(letters, tmp_path):
    layout = OutputLayout.for_template(tmp_path, "mideplan-01-A-264")
    assert layout.path(letters["13120"], "pdf") == tmp_path / "mideplan-01-a-264" / "pdf" / "13120-nunoa.pdf"
    names = {layout.file_name(letter, "pdf") for letter in letters.values()}
    assert len(names) == 345
    assert all(name.isascii() and "/" not in name for name in names)


def test_a_key_cannot_lead_outside_the_output_folder(letters, tmp_path):
    layout = OutputLayout.for_template(tmp_path, "x")
    hostile = dataclasses.replace(letters["13120"], key="../../etc", slug="passwd")
    path = layout.path(hostile, "pdf")
    assert path.parent == tmp_path / "x" / "pdf"


def test_write_is_atomic_and_leaves_no_partial_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "a" / "letter.pdf"
    write_atomic(target, b"first")
    import os

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["letter.pdf"]


def test_unwritable_folder_is_a_clear_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="no se puede escribir aquí"):
        write_atomic(blocker / "sub" / "letter.pdf", b"x")


def test_partial_files_of_a_killed_run_are_removed(tmp_path):
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / ".13120-nunoa.pdf.abc.part").write_bytes(b"half")
    (tmp_path / "pdf" / "13120-nunoa.pdf").write_bytes(b"whole")
    assert remove_partial_files(tmp_path) == 1
    assert [p.name for p in (tmp_path / "pdf").iterdir()] == ["13120-nunoa.pdf"]
