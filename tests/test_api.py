"""The public API: what a script or a server calls, and that it gives what the CLI writes."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from click.testing import CliRunner

import oficios
from conftest import DATA, ROOT, ROSTER, TEMPLATE
from oficios.cli import cli


def test_every_public_name_resolves_and_import_stays_light():
    for name in oficios.__all__:
        assert getattr(oficios, name) is not None, name
    code = "import sys, oficios; print(sorted(m for m in ('pandas', 'jinja2', 'weasyprint', 'docx') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_letter_rendered_to_bytes_is_the_file_the_cli_writes(tmp_path, fmt):
    template = oficios.load_template(TEMPLATE)
    roster = oficios.read_roster(template, ROSTER, only=["13120"])
    oficios.check(template, roster)
    [letter] = list(oficios.letters(template, roster))
    # `preview` writes drafts (BORRADOR on every page, no code): render the same draft here.
    data = oficios.render(template, dataclasses.replace(letter, draft=True), fmt)

    result = CliRunner().invoke(cli, ["preview", "--only", "13120", "--template", str(TEMPLATE),
                                      "--roster", str(ROSTER), "--output", str(tmp_path),
                                      "--format", fmt])
    assert result.exit_code == 0, result.output
    written = tmp_path / "mideplan-01-a-264" / "preview" / f"13120-nunoa.{fmt}"
    assert result.output.strip() == str(written)
    assert data == written.read_bytes()


def test_check_raises_what_the_cli_reports(tmp_path):
    template = oficios.load_template(DATA / "template-misspelled-placeholder")
    roster = oficios.read_roster(template, ROSTER)
    with pytest.raises(oficios.OficiosError) as info:
        oficios.check(template, roster)
    assert info.value.exit_code == 3 and "municipalidd" in info.value.format()


def test_a_batch_reports_progress_and_the_register_verifies_its_files(tmp_path):
    class Counter:
        def __init__(self):
            self.total, self.done = None, 0

        def start(self, total):
            self.total = total

        def advance(self, count):
            self.done += count

    counter = Counter()
    job = oficios.Job(template=TEMPLATE, roster=DATA / "roster-four-municipalities.csv",
                      output=tmp_path, formats=("docx",), workers=1)
    result = oficios.generate(job, progress=counter)
    assert counter.total == counter.done == result.letters == 4
    with oficios.open_register(result.register, readonly=True) as register:
        assert len(register.letters()) == 4
    verdict = oficios.verify_file(result.files["docx"][0], result.register)
    assert verdict.status == "verified"


def test_a_job_without_an_output_folder_cannot_generate():
    with pytest.raises(ValueError, match="Job.output"):
        oficios.generate(oficios.Job(template=TEMPLATE, roster=ROSTER))


def test_the_library_has_no_defaults_relative_to_the_working_folder():
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(oficios.Job)}
    assert fields["template"].default is dataclasses.MISSING
    assert fields["roster"].default is dataclasses.MISSING
    assert fields["output"].default is None
    assert "templates/" not in (ROOT / "oficios" / "pipeline.py").read_text("utf-8")
