"""`oficios cluster-check ADDRESS`: can this Dask cluster render a batch like this machine?"""

from __future__ import annotations

import click

from oficios.i18n import N_, gettext as _, ngettext


@click.command("cluster-check", help=N_(
    "Check a Dask cluster's workers: versions, fonts and system libraries (ADDRESS or "
    "OFICIOS_CLUSTER)."))
@click.argument("address", envvar="OFICIOS_CLUSTER", metavar="tcp://HOST:8786")
def cluster_check(address: str) -> None:
    from oficios.cluster import ClusterError, describe

    expected, workers = describe(address)
    click.echo(ngettext("Cluster {address}: {count} worker, {threads} threads in all.",
                        "Cluster {address}: {count} workers, {threads} threads in all.",
                        len(workers)).format(address=address, count=len(workers),
                                             threads=sum(w.threads for w in workers)))
    click.echo(_("This machine: {facts}.").format(facts=_summary(expected)))
    for worker in workers:
        verdict = (_("Would not make the same letters: {differences}").format(
                       differences="; ".join(worker.differs))
                   if worker.differs else _("Same as this machine"))
        click.echo(ngettext("- {address} ({threads} thread): {facts}. {verdict}.",
                            "- {address} ({threads} threads): {facts}. {verdict}.",
                            worker.threads).format(address=worker.address, threads=worker.threads,
                                                   facts=_summary(worker.facts), verdict=verdict))
    for note in _advice(workers):
        click.echo(_("Note: {note}").format(note=note))
    refused = [w for w in workers if w.differs]
    if refused:
        raise ClusterError(_("{count} of {total} workers differ from this machine: the cluster "
                             "cannot generate batches of oficios").format(count=len(refused),
                                                                         total=len(workers)),
                           hint=_("install on them the same version of oficios and of its "
                                  "libraries"))
    click.echo(_("The cluster can generate batches: every worker would make the same letters, "
                 "byte for byte, as this machine."))


def _summary(facts: dict[str, str]) -> str:
    from oficios.cluster import fact_text

    facts = {name: fact_text(value) for name, value in facts.items()}
    return _("oficios {oficios}, Python {python}, WeasyPrint {weasyprint}, python-docx {docx}, "
             "Pango {pango}, HarfBuzz subsetting: {harfbuzz}, zlib {zlib}, resources {resources}, "
             "system fonts: {fonts}").format(
        oficios=facts["oficios"], python=facts["python"], weasyprint=facts["weasyprint"],
        docx=facts["python-docx"], pango=facts["pango"], harfbuzz=facts["harfbuzz_subset"],
        zlib=facts["zlib"], resources=facts["recursos"], fonts=facts["fuentes_del_sistema"])


def _advice(workers) -> list[str]:
    from oficios.cluster import PROFILER_OFF

    notes = []
    if any(w.threads > 1 for w in workers):
        notes.append(_("some workers have several threads; a letter takes a whole core "
                       "(Python does not share that work between threads): start each machine "
                       "with dask worker --nworkers N --nthreads 1, N = its cores."))
    profiling = [w for w in workers if w.facts.get("perfilador") == "activo"]
    if profiling:
        notes.append(ngettext(
            "Dask's profiler is active on {count} worker: it costs CPU on every letter and "
            "memory that grows for an hour; start them with {setting}.",
            "Dask's profiler is active on {count} workers: it costs CPU on every letter and "
            "memory that grows for an hour; start them with {setting}.",
            len(profiling)).format(count=len(profiling), setting=PROFILER_OFF))
    if any(w.facts.get("harfbuzz_subset") == "no" for w in workers):
        notes.append(_("without libharfbuzz-subset0 each PDF takes about 2.5 times longer; "
                       "install it on every machine (apt-get install libharfbuzz-subset0)."))
    return notes
