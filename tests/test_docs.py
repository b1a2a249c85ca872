"""Docs cannot drift: the README's commands run, and every command it names exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from conftest import ROOT
from oficios.cli import cli

README = ROOT / "README.md"


def readme_commands() -> list[list[str]]:
    """The `oficios` command lines of the README's shell blocks, without comments."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith(".venv/bin/oficios ")]


def test_readme_opens_with_the_two_make_commands():
    first_block = README.read_text(encoding="utf-8").split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_readme_commands_run(tmp_path, monkeypatch):
    """Every README command, in README order, in a folder laid out like the project."""
    commands = readme_commands()
    assert {c[0] for c in commands} == set(cli.commands)
    for folder in ("templates", "recipients"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    for args in commands:
        if args[0] == "cluster-check" or "--cluster" in args:
            continue  # they need a Dask cluster: tests/test_cluster.py starts one and runs them
        args = [str(tmp_path / Path(a).name) if a.startswith("/tmp/") else a for a in args]
        if args[0] == "serve":
            continue  # runs until stopped: test_web_cli.py starts it for real
        if args[0] == "generate" and "--only" not in args:
            args += ["--only", "13120"]  # the whole roster is the batch test's job
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)


def test_make_targets_named_in_the_readme_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test", "test-fast", "bench"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
