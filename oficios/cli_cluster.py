"""`oficios cluster-check ADDRESS`: can this Dask cluster render a batch like this machine?"""

from __future__ import annotations

import click


@click.command("cluster-check")
@click.argument("address", envvar="OFICIOS_CLUSTER", metavar="tcp://HOST:8786")
def cluster_check(address: str) -> None:
    """Check a Dask cluster's workers: versions, fonts and system libraries (ADDRESS or
    OFICIOS_CLUSTER)."""
    from oficios.cluster import ClusterError, describe

    expected, workers = describe(address)
    click.echo(f"Clúster {address}: {len(workers)} trabajador{'es' if len(workers) != 1 else ''}, "
               f"{sum(w.threads for w in workers)} hilos en total.")
    click.echo(f"Este equipo: {_summary(expected)}.")
    for worker in workers:
        verdict = ("no generaría las mismas cartas: " + "; ".join(worker.differs)
                   if worker.differs else "igual a este equipo")
        click.echo(f"- {worker.address} ({worker.threads} hilo{'s' if worker.threads != 1 else ''}): "
                   f"{_summary(worker.facts)}. {verdict[0].upper()}{verdict[1:]}.")
    for note in _advice(workers):
        click.echo(f"Aviso: {note}")
    refused = [w for w in workers if w.differs]
    if refused:
        raise ClusterError(f"{len(refused)} de {len(workers)} trabajadores difieren de este equipo: "
                           "el clúster no puede generar lotes de oficios",
                           hint="instale en ellos la misma versión de oficios y de sus bibliotecas")
    click.echo("El clúster puede generar lotes: cada trabajador haría las mismas cartas, byte a "
               "byte, que este equipo.")


def _summary(facts: dict[str, str]) -> str:
    return (f"oficios {facts['oficios']}, Python {facts['python']}, WeasyPrint {facts['weasyprint']}, "
            f"python-docx {facts['python-docx']}, Pango {facts['pango']}, "
            f"subconjuntos HarfBuzz: {facts['harfbuzz_subset']}, zlib {facts['zlib']}, "
            f"recursos {facts['recursos']}, fuentes del sistema: {facts['fuentes_del_sistema']}")


def _advice(workers) -> list[str]:
    from oficios.cluster import PROFILER_OFF

    notes = []
    if any(w.threads > 1 for w in workers):
        notes.append("hay trabajadores con varios hilos; una carta ocupa un núcleo entero "
                     "(Python no reparte ese trabajo entre hilos): inicie cada máquina con "
                     "dask worker --nworkers N --nthreads 1, N = sus núcleos.")
    profiling = [w for w in workers if w.facts.get("perfilador") == "activo"]
    if profiling:
        notes.append(f"el perfilador de Dask está activo en {len(profiling)} trabajador"
                     f"{'es' if len(profiling) != 1 else ''}: cuesta CPU en cada carta y memoria "
                     f"que crece durante una hora; inícielos con {PROFILER_OFF}.")
    if any(w.facts.get("harfbuzz_subset") == "no" for w in workers):
        notes.append("sin libharfbuzz-subset0 cada PDF tarda unas 2,5 veces más; instálela en "
                     "todos los equipos (apt-get install libharfbuzz-subset0).")
    return notes
