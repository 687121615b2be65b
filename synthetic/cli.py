"""``spr generate``: synthetic multi-force records with ground truth, written to a directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from synthetic.calibration import SCALES
from synthetic.generator import generate
from synthetic.writer import FORMATS


def generate_command(
    scale: Annotated[str, typer.Option(help=f"Size of the data set: {', '.join(SCALES)}")] = "demo",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes")] = 1,
    out: Annotated[Path, typer.Option(help="Directory to write the records and truth/ into")] = Path("data/generated"),
    fmt: Annotated[str, typer.Option("--format", help=f"File format: {', '.join(FORMATS)}")] = "ndjson",
    workers: Annotated[int | None, typer.Option(help="Parallel processes (default: CPUs for national, else 1)")] = None,
    later_than: Annotated[
        Path | None,
        typer.Option(
            "--later-than",
            help="Instead: write a later batch (about --size records) for the data set in this directory, in "
            "which known perpetrators turn up again",
        ),
    ] = None,
    size: Annotated[int, typer.Option(min=1, help="Records in a --later-than batch")] = 1000,
) -> None:
    """Generate realistic domestic abuse and stalking records for several forces, with known ground truth."""
    if later_than is not None:
        _later(later_than, out, seed, size)
        return
    if scale not in SCALES:
        raise typer.BadParameter(f"expected one of {', '.join(SCALES)}", param_hint="--scale")
    if fmt not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FORMATS)}", param_hint="--format")
    summary = generate(scale, seed, out, progress=True, fmt=fmt, workers=workers)
    console = Console()
    table = Table(title=f"{scale} (seed {seed}) -> {out}")
    table.add_column("record type")
    table.add_column("records", justify="right")
    for rtype, n in summary.counts.items():
        table.add_row(rtype, f"{n:,}")
    table.add_row("[bold]total", f"[bold]{summary.records:,}")
    console.print(table)
    patterns = ", ".join(f"{k} {v:,}" for k, v in summary.patterns.items())
    console.print(f"Planted and derived patterns (truth/patterns.ndjson): {patterns}")
    console.print(
        f"{summary.incidents:,} incidents ({summary.incidents_last_year:,} in the final year) "
        f"from {summary.window_start} to {summary.reference_date}, in {summary.seconds:.1f} s"
    )


def _later(base: Path, out: Path, seed: int, size: int) -> None:
    from synthetic.later import later_batch

    if not (base / "manifest.json").exists() or not (base / "truth" / "person_truth.csv").exists():
        raise typer.BadParameter(f"{base} is not a generated data set (no manifest.json or truth/)")
    summary = later_batch(base, out, seed=seed, size=size)
    console = Console()
    table = Table(title=f"Later batch for {base} -> {out}, from {summary.first_day}")
    table.add_column("record type")
    table.add_column("records", justify="right")
    for rtype, n in summary.records.items():
        table.add_row(rtype, f"{n:,}")
    table.add_row("[bold]total", f"[bold]{summary.total:,}")
    console.print(table)
    planted = ", ".join(f"{k} {v}" for k, v in summary.planted.items())
    console.print(f"Planted (truth/expected_alerts.ndjson): {planted}")


def main() -> None:
    app = typer.Typer(add_completion=False)
    app.command()(generate_command)
    app()


if __name__ == "__main__":
    main()
