"""`spr`: the Serial Perpetrator Register's command line. Thin: each command calls a library function."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from spr.settings import ConfigurationError, get_settings

if TYPE_CHECKING:
    from spr.localserver import Instance

app = typer.Typer(
    name="spr",
    help="Serial Perpetrator Register: identify, track and manage serial and high-risk perpetrators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
neo4j_app = typer.Typer(help="The local Neo4j server the register installs and runs.", no_args_is_help=True)
schema_app = typer.Typer(help="The graph schema (constraints, indexes, version).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(schema_app, name="schema")
users_app = typer.Typer(help="Users of the API and their roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")

console = Console()
err = Console(stderr=True)


def _instance() -> Instance:
    from spr.localserver import main_instance

    return main_instance(get_settings().neo4j_dir)


# --------------------------------------------------------------------------------------------- neo4j
@neo4j_app.command("install")
def neo4j_install(
    force: Annotated[bool, typer.Option(help="Resolve and install again even if installed")] = False,
) -> None:
    """Install Neo4j Community 5.26 LTS (newest patch on Maven Central) into the project folder."""
    from spr.localserver import install

    s = get_settings()
    install(s.neo4j_dir, s.neo4j_version, force=force, log=console.print)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Start the local server on 127.0.0.1 (auth on, generated password) and wait until Bolt answers."""
    s = get_settings()
    inst = _instance()
    if not inst.configured or inst.bolt_port() != s.neo4j_bolt_port or s.neo4j_heap or s.neo4j_pagecache:
        inst.configure(port=s.neo4j_bolt_port, heap=s.neo4j_heap, pagecache=s.neo4j_pagecache)
    inst.start(log=console.print)
    console.print(f"Password for user neo4j is in {inst.password_file} (readable by its owner only)")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local server cleanly."""
    _instance().stop(log=console.print)


@neo4j_app.command("status")
def neo4j_status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Tell whether the local server is installed and running, from the process and Bolt themselves.

    Exit status: 0 running and answering, 3 not running.
    """
    st = _instance().status()
    if as_json:
        data = {k: (str(v) if k == "home" else v) for k, v in st.__dict__.items()}
        console.print_json(json.dumps(data))
    else:
        console.print(f"Neo4j {st.version or ''} instance '{st.name}': {st.summary}")
    raise typer.Exit(0 if st.running and st.bolt_answers else 3)


@neo4j_app.command("password")
def neo4j_password() -> None:
    """Print the generated password of the local server (for cypher-shell or Neo4j Browser)."""
    print(_instance().password())


# -------------------------------------------------------------------------------------------- schema
@schema_app.command("apply")
def schema_apply() -> None:
    """Create the constraints and indexes the vocabulary implies; record the schema version."""
    from graph_schema.apply import apply_schema
    from spr.db import get_database

    result = apply_schema(get_database())
    console.print(
        f"Schema version {result.version}: {len(result.created)} created, {len(result.existing)} already present"
    )


@schema_app.command("show")
def schema_show() -> None:
    """List the constraints and indexes the vocabulary implies and whether the graph has them."""
    from graph_schema.apply import existing_schema_names, schema_statements, schema_version_in_graph
    from spr.db import get_database

    db = get_database()
    have = existing_schema_names(db)
    table = Table("name", "kind", "label", "property", "in graph")
    for st in schema_statements():
        table.add_row(st.name, st.kind, st.label, st.prop, "yes" if st.name in have else "[red]no[/red]")
    console.print(table)
    console.print(f"Schema version in graph: {schema_version_in_graph(db)}")


# ------------------------------------------------------------------------------------------ generate
def _register_generate() -> None:
    from synthetic.cli import generate_command

    app.command("generate", help="Write realistic multi-force records with ground truth (deterministic).")(
        generate_command
    )


_register_generate()


# --------------------------------------------------------------------------------------------- users
@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[list[str], typer.Option("--role", help="A role from roles.yaml; repeat for several")],
    agency: Annotated[str | None, typer.Option(help="Agency code (required for agency-scoped roles)")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Leave out to be prompted (or set SPR_NEW_USER_PASSWORD)", envvar="SPR_NEW_USER_PASSWORD"),
    ] = None,
) -> None:
    """Create a user (or reset its password and roles)."""
    from api.auth import UserError, create_user
    from spr.db import get_database

    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(get_database(), username, secret, role, agency)
    except UserError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"User {user.username} has roles {', '.join(user.roles)}")


# --------------------------------------------------------------------------------------------- audit
@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exit 1 and name each break when it was tampered with."""
    from api.audit import verify
    from spr.db import get_database

    result = verify(get_database())
    if result.ok:
        console.print(f"Audit chain intact: {result.entries} entries")
        return
    for p in result.problems:
        err.print(f"[red]{p}[/red]")
    err.print(f"Audit chain BROKEN: {len(result.problems)} problem(s) in {result.entries} entries")
    raise typer.Exit(1)


# --------------------------------------------------------------------------------------------- serve
@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Run the API (uvicorn) against the configured Neo4j."""
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


# ---------------------------------------------------------------------------------- identity resolution
review_app = typer.Typer(help="The identity review queue: pairs an analyst confirms or rejects.", invoke_without_command=True)
app.add_typer(review_app, name="review")


@app.command("resolve")
def resolve_command(
    full: Annotated[bool, typer.Option("--full", help="Score every pair again and re-derive every Person")] = False,
    train: Annotated[
        bool, typer.Option("--train", help="Estimate a new model version on the graph's records first (then --full)")
    ] = False,
    evaluate: Annotated[
        bool, typer.Option("--evaluate", help="Measure against the generator's ground truth in --data (no graph)")
    ] = False,
    data: Annotated[Path, typer.Option(help="Generated directory for --evaluate")] = Path("data/demo"),
    model: Annotated[Path | None, typer.Option(help="Model file or directory (default: the current model)")] = None,
    threads: Annotated[int | None, typer.Option(help="DuckDB threads (default: all cores)")] = None,
    flags: Annotated[bool, typer.Option(help="Re-evaluate the flags of the people affected")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Resolve PersonRecords to Persons: new records by default, everything with --full.

    With --evaluate, report pairwise precision, recall, F1 and cluster metrics against truth/person_truth.csv
    (with --train, the model is first estimated on those records, without their labels).
    """
    from ingest.identity import ModelMissing, resolve, train_from_graph
    from ingest.identity.frames import evaluate_directory
    from ingest.identity.review import queue_size
    from spr.db import get_database

    try:
        if evaluate:
            ev = evaluate_directory(data, model_path=model, train_model=train, threads=threads)
            if as_json:
                console.print_json(json.dumps(ev.as_dict()))
                return
            m = ev.metrics
            table = Table("metric", "value", title=f"Identity resolution on {data} (model {ev.model_version})")
            for name, value in (("records", m.records), ("true persons", m.true_persons),
                                ("predicted persons", m.predicted_persons), ("precision", m.precision),
                                ("recall", m.recall), ("F1", m.f1), ("exact clusters", m.exact_clusters),
                                ("B-cubed precision", m.bcubed_precision), ("B-cubed recall", m.bcubed_recall),
                                ("recall after blocking", m.blocking_recall),
                                ("recall reachable through blocking", m.blocking_reach),
                                ("pairs for review", ev.review_pairs)):  # fmt: skip
                table.add_row(name, f"{value:.4f}" if isinstance(value, float) else f"{value:,}")
            console.print(table)
            return
        db = get_database()
        trained = None
        if train:
            trained, path = train_from_graph(db, model if model and model.is_dir() else None)
            console.print(f"Trained identity model {trained.version} on the graph's records: {path}")
            full = True
        result = resolve(db, full=full, model=trained, model_path=model, threads=threads)
    except ModelMissing as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    flagged = ""
    if flags and result.affected_person_ids:
        from queries.detect import detect

        d = detect(db, person_ids=result.affected_person_ids)
        flagged = f"; flags re-evaluated for {len(result.affected_person_ids):,} people ({d.created} new, {d.removed} removed)"
    sizes = queue_size(db)
    if as_json:
        console.print_json(json.dumps({**result.__dict__, "review_queue": sizes}))
        return
    console.print(
        f"Resolved {result.scored_records:,} of {result.records:,} person records with model {result.model_version}: "
        f"{result.pairs_stored:,} scored pairs stored, {result.linked:,} links written, "
        f"{result.persons_created:,} Persons created, {result.merges} merges, {result.splits} splits{flagged}"
    )
    console.print(f"Review queue: {sizes.get('OPEN', 0):,} open ({result.refused} held back by cluster checks)")


@review_app.callback()
def review_list(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="OPEN, CONFIRMED, REJECTED or CLOSED")] = "OPEN",
    limit: Annotated[int, typer.Option(help="At most this many items")] = 20,
) -> None:
    """List the review queue, strongest pairs first (subcommands decide and explain)."""
    if ctx.invoked_subcommand is not None:
        return
    from ingest.identity.review import queue, queue_size
    from spr.db import get_database

    db = get_database()
    table = Table("left", "right", "probability", "reason", title=f"Review queue ({status})")
    for item in queue(db, status=status.upper(), limit=limit):
        table.add_row(item["left"], item["right"], f"{item['probability']:.3f}", item["reason"])
    console.print(table)
    console.print(", ".join(f"{k.lower()} {v:,}" for k, v in queue_size(db).items()) or "the queue is empty")


@review_app.command("decide")
def review_decide(
    left: str,
    right: str,
    same: Annotated[bool, typer.Option("--same/--different", help="Same person, or different people")],
    by: Annotated[str, typer.Option("--by", help="Who decides (recorded with the decision)")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the decision)")],
) -> None:
    """Record an analyst's decision on two person records; it holds on every later run."""
    from ingest.identity.review import ReviewError, decide
    from spr.db import get_database

    try:
        r = decide(get_database(), left, right, "SAME" if same else "DIFFERENT", decided_by=by, reason=reason)
    except ReviewError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"Recorded. {r.merges} merge(s), {r.splits} split(s); people affected: {', '.join(r.affected_person_ids) or 'none'}")


@review_app.command("explain")
def review_explain(left: str, right: str) -> None:
    """The comparison levels and match weights behind a scored pair (Splink's waterfall, as a table)."""
    from ingest.identity.review import explain_pair
    from spr.db import get_database

    ex = explain_pair(get_database(), left, right)
    if ex is None:
        err.print("That pair was never scored at or above the review threshold.")
        raise typer.Exit(1)
    table = Table("comparison", "level", "match weight", "left", "right",
                  title=f"{ex['left']} / {ex['right']}: probability {ex['probability']:.4f} ({ex['band']})")  # fmt: skip
    for row in ex["explanation"]:
        w = row["match_weight"]
        table.add_row(row["comparison"], row["level"], "" if w is None else f"{w:+.2f}", str(row["left"]), str(row["right"]))
    console.print(table)


@app.command("link")
def link_command(
    left: Annotated[Path, typer.Argument(help="CSV file to check (against itself, or against RIGHT)")],
    right: Annotated[Path | None, typer.Argument(help="Second CSV file (optional)")] = None,
    id_column: Annotated[str, typer.Option("--id", help="Column holding each row's id")] = "id",
    maps: Annotated[list[str], typer.Option("--map", help="FIELD=COLUMN; repeat. FIELD: first_name, middle_name, "
                                            "last_name, dob, sex, address, postcode, town, identifier")] = [],  # noqa: B006
    out: Annotated[Path, typer.Option(help="Pairs file: left_id, right_id, match_probability")] = Path("pairs.csv"),
    clusters: Annotated[Path | None, typer.Option(help="Also write clusters (id, cluster_id) here")] = None,
    threshold: Annotated[float | None, typer.Option(help="Lowest probability written (default: the review threshold)")] = None,
    train: Annotated[bool, typer.Option("--train", help="Estimate a model on these files instead of using the register's")] = False,
) -> None:
    """Match an outside list of people against itself or another list."""
    from ingest.identity.linkfiles import LinkError, link_files, parse_maps

    try:
        r = link_files(left, right, id_column=id_column, maps=parse_maps(maps), out=out, clusters_out=clusters,
                       threshold=threshold, train_model=train)  # fmt: skip
    except LinkError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    extra = f", {r.clusters:,} clusters in {clusters}" if clusters is not None else ""
    console.print(f"{r.records:,} records, {r.pairs:,} pairs in {out}{extra} (model {r.model_version})")


def main() -> None:
    """Entry point: known failures end with one clear message and a non-zero status, not a traceback."""
    from graph_schema.apply import SchemaMismatch
    from spr.db import DatabaseUnavailable
    from spr.localserver import LocalServerError

    try:
        app()
    except (ConfigurationError, DatabaseUnavailable, LocalServerError, SchemaMismatch) as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        sys.exit(2)
