"""`spr`: the Serial Perpetrator Register's command line. Thin: each command calls a library function."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
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
    """Create the constraints and indexes the vocabulary implies, bring the data of a register recorded at an
    older version up to date, and record the schema version."""
    from graph_schema.apply import apply_schema
    from spr.db import get_database

    result = apply_schema(get_database())
    console.print(
        f"Schema version {result.version}: {len(result.created)} created, {len(result.existing)} already present"
    )
    for done in result.migrated:
        console.print(f"Migrated the register's data: {done}")


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
    """Run the API (uvicorn) against the configured Neo4j.

    Requests retry a lost database for SPR_NEO4J_RETRY_SECONDS, 5 s unless set: then they answer 503 with a
    Retry-After hint rather than hang, and the API recovers by itself when Neo4j is back.
    """
    import os

    import uvicorn

    from api.app import create_app
    from spr.db import close_database

    if "SPR_NEO4J_RETRY_SECONDS" not in os.environ:
        os.environ["SPR_NEO4J_RETRY_SECONDS"] = "5"
        get_settings.cache_clear()
        close_database()  # reconnect with the API's window
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


# ---------------------------------------------------------------------------------- identity resolution
review_app = typer.Typer(
    help="The identity review queue: pairs an analyst confirms or rejects.", invoke_without_command=True
)
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
        n = len(result.affected_person_ids)
        flagged = f"; flags re-evaluated for {n:,} people ({d.created} new, {d.removed} removed)"
    sizes = queue_size(db)
    if as_json:
        console.print_json(json.dumps({**result.__dict__, "review_queue": sizes}))
        return
    console.print(
        f"Resolved {result.scored_records:,} of {result.records:,} person records with model {result.model_version}: "
        f"{result.pairs_stored:,} scored pairs stored, {result.linked:,} links written, "
        f"{result.persons_created:,} Persons created, {result.merges} merges, {result.splits} splits{flagged}"
    )
    console.print(
        f"Read {result.read_records:,} of {result.records:,} person records"
        + (f"; blocking keys stored for {result.keys_written:,}" if result.keys_written else "")
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
    people = ", ".join(r.affected_person_ids) or "none"
    console.print(f"Recorded. {r.merges} merge(s), {r.splits} split(s); people affected: {people}")


@review_app.command("explain")
def review_explain(left: str, right: str) -> None:
    """The comparison levels and match weights behind a scored pair (Splink's waterfall, as a table)."""
    from ingest.identity.review import explain_pair
    from spr.db import get_database

    ex = explain_pair(get_database(), left, right)
    if ex is None:
        err.print("That pair was never scored at or above the review threshold.")
        raise typer.Exit(1)
    title = f"{ex['left']} / {ex['right']}: probability {ex['probability']:.4f} ({ex['band']})"
    table = Table("comparison", "level", "match weight", "left", "right", title=title)
    for row in ex["explanation"]:
        w = row["match_weight"]
        table.add_row(
            row["comparison"], row["level"], "" if w is None else f"{w:+.2f}", str(row["left"]), str(row["right"])
        )
    console.print(table)


@app.command("link")
def link_command(
    left: Annotated[Path, typer.Argument(help="CSV file to check (against itself, or against RIGHT)")],
    right: Annotated[Path | None, typer.Argument(help="Second CSV file (optional)")] = None,
    id_column: Annotated[str, typer.Option("--id", help="Column holding each row's id")] = "id",
    maps: Annotated[
        list[str],
        typer.Option(
            "--map",
            help="FIELD=COLUMN; repeat. FIELD: first_name, middle_name, "
            "last_name, dob, sex, address, postcode, town, identifier",
        ),
    ] = [],  # noqa: B006
    out: Annotated[Path, typer.Option(help="Pairs file: left_id, right_id, match_probability")] = Path("pairs.csv"),
    clusters: Annotated[Path | None, typer.Option(help="Also write clusters (id, cluster_id) here")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Lowest probability written (default: the review threshold)")
    ] = None,
    train: Annotated[
        bool, typer.Option("--train", help="Estimate a model on these files instead of using the register's")
    ] = False,
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


# ------------------------------------------------------------------------------------------- queries
nominations_app = typer.Typer(
    help="MAPPA+ DA/stalking category (proposed): candidates, nominations and panel decisions.",
    invoke_without_command=True,
)
report_app = typer.Typer(help="Reports for force and national leads.", no_args_is_help=True)
app.add_typer(nominations_app, name="nominations")
app.add_typer(report_app, name="report")

AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Only records dated on or before this day count (YYYY-MM-DD)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON for scripts")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV for scripts")]


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--as-of") from exc


def _emit(rows: list[dict[str, Any]], title: str, as_json: bool = False, as_csv: bool = False) -> None:
    """One table three ways: rich in the terminal, JSON or CSV for scripts."""
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
        return
    columns = list(rows[0]) if rows else []
    if as_csv:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("|".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()})
        return
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(
            *(", ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else str(v)) for v in row.values())
        )
    console.print(table if rows else f"{title}: none")


@app.command("detect")
def detect_command(
    persons: Annotated[list[str] | None, typer.Option("--persons", help="Recompute only these Person ids")] = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the sweep: compute every definition as of a date and store Flag nodes with their evidence, RFGV
    scores and the MAPPA+ nomination list (`spr nominations` reads it)."""
    from queries.detect import detect
    from spr.db import get_database

    r = detect(get_database(), _as_of(as_of), person_ids=persons or None, log=lambda m: err.print(f"  {m}"))
    if as_json:
        print(r.model_dump_json(indent=2))
        return
    _emit([{"definition": k, "people": v} for k, v in sorted(r.flags.items())], f"Flags as of {r.as_of}")
    console.print(
        f"{r.created} new, {r.updated} changed, {r.unchanged} unchanged, {r.removed} removed; "
        f"{r.scores_changed} priority scores stored; {r.candidates} people on the nomination list"
    )


@nominations_app.callback()
def nominations_list(
    ctx: typer.Context,
    force: Annotated[str | None, typer.Option(help="Only people this force recorded")] = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Candidates not yet managed, ranked by RFGV priority, with reasons and MAPPA Category 2 eligibility.

    The list the sweep stored (`spr detect`; every ingest batch keeps it current). With --as-of, the list
    computed from the records as known on that date instead (slow on a large register)."""
    if ctx.invoked_subcommand is not None:
        return
    from queries.models import CATEGORY_LABEL, CandidateQuery
    from queries.nominations import NotSwept, find_candidates
    from spr.db import get_database

    try:
        cands = find_candidates(
            get_database(), CandidateQuery(as_of=_as_of(as_of) if as_of is not None else None, force=force)
        )
    except NotSwept as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    rows = [
        {
            "rank": c.rfgv_rank, "person": c.person_id, "name": c.display_name, "score": c.rfgv_score,
            "reasons": c.reasons, "first_met": c.first_met, "cat2_eligible": c.mappa_cat2_eligible,
            "forces": c.forces,
        }
        for c in cands
    ]  # fmt: skip
    _emit(rows, f"{CATEGORY_LABEL}: candidates{f' ({force})' if force else ''}", as_json, as_csv)


@nominations_app.command("create")
def nominations_create(
    person_id: str,
    by: Annotated[str, typer.Option("--by", help="Who nominates")],
    reason: Annotated[list[str], typer.Option("--reason", help="Why (repeatable)")],
    lead_agency: Annotated[str | None, typer.Option(help="Lead agency code")] = None,
) -> None:
    """Nominate a person to the MAPPA+ DA/stalking category (proposed)."""
    from queries.models import NominationCreate
    from queries.nominations import NominationError, nominate
    from spr.db import get_database

    try:
        n = nominate(
            get_database(),
            NominationCreate(person_id=person_id, reasons=reason, nominated_by=by, lead_agency=lead_agency),
        )
    except NominationError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{n.nomination_id}: {n.person_id} {n.status} ({n.category})")


@nominations_app.command("decide")
def nominations_decide(
    nomination_id: str,
    by: Annotated[str, typer.Option("--by", help="Who decided (the panel chair)")],
    accept: Annotated[bool, typer.Option("--accept/--decline")],
    level: Annotated[int | None, typer.Option(help="Management level 1-3 (accept)")] = None,
    reason: Annotated[str | None, typer.Option(help="Reason (required to decline)")] = None,
) -> None:
    """Record the panel's decision: accepted at a level, or declined with a reason."""
    from queries.models import NominationDecision
    from queries.nominations import NominationError, decide
    from spr.db import get_database

    try:
        n = decide(
            get_database(),
            NominationDecision(nomination_id=nomination_id, decided_by=by, accept=accept, level=level, reason=reason),
        )
    except NominationError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{n.nomination_id}: {n.status}{f' level {n.level}' if n.level else ''} by {n.decided_by}")


@nominations_app.command("close")
def nominations_close(
    nomination_id: str,
    by: Annotated[str, typer.Option("--by", help="Who closes it")],
    reason: Annotated[str | None, typer.Option(help="Why")] = None,
) -> None:
    """Close an accepted or declined nomination."""
    from queries.nominations import NominationError, close
    from spr.db import get_database

    try:
        n = close(get_database(), nomination_id, by, reason)
    except NominationError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{n.nomination_id}: {n.status} by {n.closed_by}")


@nominations_app.command("list")
def nominations_show(
    person: Annotated[str | None, typer.Option(help="One person's nominations")] = None,
    status: Annotated[list[str] | None, typer.Option(help="Only these statuses")] = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Nominations made, newest first, with their decisions."""
    from queries.nominations import list_nominations
    from spr.db import get_database

    noms = list_nominations(get_database(), person, status or None)
    keep = ("nomination_id", "person_id", "status", "level", "reasons", "created_at", "nominated_by", "decided_by",
            "decision_reason")  # fmt: skip
    _emit([n.model_dump(mode="json", include=set(keep)) for n in noms], "Nominations", as_json, as_csv)


@app.command("person")
def person_command(
    person_id: str,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One person: profile (disclosure counts), flags and the reasons for them, and the timeline."""
    from queries.casegraph import timeline
    from queries.detect import person_flags
    from queries.histories import disclosure_summary
    from spr.db import get_database

    db = get_database()
    day = _as_of(as_of)
    summary = disclosure_summary(db, person_id, day)
    flags = person_flags(db, person_id)
    events = timeline(db, person_id, until=day)
    if as_json:
        data = {
            "summary": summary.model_dump(mode="json"),
            "flags": flags,
            "timeline": [e.model_dump(mode="json") for e in events],
        }
        print(json.dumps(data, default=str, indent=2))
        return
    console.print(
        f"[bold]{person_id}[/bold] as of {day}: " + ", ".join(f"{k.lower()} {v}" for k, v in summary.counts.items())
    )
    _emit(
        [
            {
                "definition": f["definition"],
                "first_met": f["first_met"],
                "version": f["definition_version"],
                "evidence": [f"{e['label']} {e['caption']}" for e in f["evidence"]],
            }
            for f in flags
        ],  # fmt: skip
        "Flags (definition that raised each, and its evidence)",
    )
    _emit([e.model_dump() for e in events], "Timeline")


@report_app.command("consistency")
def report_consistency(as_of: AsOfOpt = None, as_json: JsonOpt = False, as_csv: CsvOpt = False) -> None:
    """Per force: people meeting each definition, nominated, accepted, declined; and the spread."""
    from queries.histories import consistency
    from spr.db import get_database

    r = consistency(get_database(), _as_of(as_of))
    if as_json:
        print(r.model_dump_json(indent=2))
        return
    rows = [
        {"force": f.force, "people": f.people, **{k.lower(): v for k, v in f.by_definition.items()},
         "nominated": f.nominated, "accepted": f.accepted, "declined": f.declined, "rate": f.nomination_rate}
        for f in r.forces
    ]  # fmt: skip
    _emit(rows, f"Consistency as of {r.as_of}", False, as_csv)
    if not as_csv:
        _emit([{"measure": k, **v} for k, v in r.spread.items()], "Spread across forces")


# -------------------------------------------------------------------------------------------- ingest
@app.command("ingest")
def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="Interchange files (.ndjson, .csv) or folders of them")],
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Where to write rejected records (NDJSON)")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Records per transaction")] = None,
    bulk: Annotated[
        bool, typer.Option("--bulk", help="First load into an empty local database with neo4j-admin import")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="With --bulk: processes validating records (default: one per CPU; same result)"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bar (default: when a terminal)")
    ] = None,
    identity: Annotated[
        str,
        typer.Option(
            "--identity",
            help="Identity stage after the load: 'model' (probabilistic matching), 'exact' (PNC id only) "
            "or 'none' (run `spr resolve` later)",
        ),
    ] = "model",
    after: Annotated[
        bool,
        typer.Option(
            "--after/--no-after",
            help="After the load: alerts, then flags, for the people the batch touched (not on a first load)",
        ),
    ] = True,
) -> None:
    """Validate and load agency records; rejects go to a file with their reasons.

    Exit status: 0 everything loaded, 1 some records rejected, 2 nothing could be done (configuration,
    unreadable paths, the database unavailable). Running the same command again after an interruption
    finishes the load; loading the same files twice changes nothing.
    """
    from ingest import DEFAULT_BATCH_SIZE, InputError, identity_exact, load
    from ingest.pipeline import resolve_identities
    from ingest.report import IngestReport

    resolvers = {"model": resolve_identities, "exact": identity_exact.resolve, "none": None}
    if identity not in resolvers:
        err.print(f"[bold red]error:[/bold red] --identity must be one of {', '.join(resolvers)}")
        raise typer.Exit(2)

    if workers is not None and not bulk:
        err.print("[bold red]error:[/bold red] --workers applies to --bulk (the online load has one writer)")
        raise typer.Exit(2)
    rejects_path = rejects or Path(f"ingest-rejects-{date.today().isoformat()}.ndjson")
    try:
        if bulk:
            from ingest.bulk import BulkImportError, bulk_load

            try:
                report: IngestReport = bulk_load(
                    _instance(),
                    paths,
                    rejects_path=rejects_path,
                    progress=progress,
                    log=err.print,
                    resolver=resolvers[identity],
                    workers=workers,
                    match_offline=identity == "model",
                )
            except BulkImportError as exc:
                err.print(f"[bold red]error:[/bold red] {exc}")
                raise typer.Exit(2) from exc
        else:
            from spr.db import get_database

            report = load(
                get_database(),
                paths,
                batch_size=batch_size or DEFAULT_BATCH_SIZE,
                rejects_path=rejects_path,
                progress=progress,
                resolver=resolvers[identity],
                after_load=_after_batch() if after else None,
            )
    except InputError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        console.print_json(report.model_dump_json())
    else:
        _print_ingest_report(report)
    raise typer.Exit(0 if report.ok else 1)


def _after_batch() -> Any:
    from queries.stages import after_batch

    return after_batch


def _print_ingest_report(report: Any) -> None:
    shown = 20
    for rj in report.rejects[:shown]:
        err.print(f"[yellow]reject[/yellow] {rj.where()} {rj.uid or ''} [bold]{rj.field}[/bold]: {rj.reason}")
    if len(report.rejects) > shown:
        err.print(f"... and {len(report.rejects) - shown:,} more reasons in {report.rejects_file}")
    table = Table("record type", "read", "loaded", "rejected", "skipped", title=f"Ingest {report.batch_id}")
    for rtype, c in report.counts.items():
        table.add_row(rtype, f"{c.read:,}", f"{c.loaded:,}", f"{c.rejected:,}", f"{c.skipped:,}")
    t = report.total
    table.add_row("[bold]total", f"{t.read:,}", f"{t.loaded:,}", f"{t.rejected:,}", f"{t.skipped:,}")
    console.print(table)
    for note in report.notes:
        console.print(f"note: {note}")
    state = " (same files loaded before: nothing changed)" if report.already_loaded else ""
    state = " (resumed an interrupted load)" if report.resumed else state
    console.print(
        f"{t.read:,} records in {report.seconds:,.1f} s ({report.rate:,.0f}/s){state}; "
        f"{report.persons_linked:,} person records linked"
        + (f"; {report.alerts_raised:,} new alert(s)" if report.alerts_raised is not None else "")
        + (f"; rejects in {report.rejects_file}" if report.rejects else "")
    )


@app.command("stats")
def stats_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    batches: Annotated[int, typer.Option("--batches", min=0, help="How many recent ingest batches")] = 5,
) -> None:
    """What is in the register: nodes per label, relationships per type, the last ingest batches."""
    from ingest.stats import register_stats
    from spr.db import get_database

    st = register_stats(get_database(), batches=batches)
    if as_json:
        console.print_json(st.model_dump_json())
        return
    nodes = Table("label", "nodes", title="Nodes")
    for label, n in st.nodes.items():
        nodes.add_row(label, f"{n:,}")
    rels = Table("type", "relationships", title="Relationships")
    for rel, n in st.relationships.items():
        rels.add_row(rel, f"{n:,}")
    console.print(nodes, rels)
    tb = Table("batch", "started", "finished", "status", "read", "loaded", "rejected", title="Last ingest batches")
    for b in st.batches:
        tb.add_row(
            b.batch_id,
            b.started_at or "",
            b.finished_at or "",
            b.status or "",
            *(f"{v:,}" if v is not None else "" for v in (b.read, b.loaded, b.rejected)),
        )
    console.print(tb)


# ----------------------------------------------------------------------------------------- visualisation
viz_app = typer.Typer(
    help="Case graphs and timelines as self-contained pages (no network needed).", no_args_is_help=True
)
app.add_typer(viz_app, name="viz")


@viz_app.command("person")
def viz_person(
    person_id: Annotated[str, typer.Argument(help="The Person's id")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path("case.html"),
    depth: Annotated[int, typer.Option(min=1, max=6, help="Steps out from the person")] = 4,
    since: Annotated[str | None, typer.Option(help="Leave out what is dated before this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Leave out what is dated after this day (YYYY-MM-DD)")] = None,
    purpose: Annotated[str, typer.Option(help="Why the record is read (a purpose code, audited)")] = "MAPPA_PANEL",
    purpose_detail: Annotated[str, typer.Option(help="Free text for the audit log")] = "Panel pack export",
    include_locations: Annotated[
        bool, typer.Option(help="Include victims' addresses and locations (left out by default)")
    ] = False,
) -> None:
    """Write one person's case graph and timeline as one HTML file for a panel pack (audited)."""
    import getpass

    from api.audit import AuditEvent, append
    from graph_schema import vocabulary
    from queries.people import person_agencies
    from spr.db import get_database
    from viz.person import person_views
    from viz.render import render_export

    if purpose not in vocabulary().purposes:
        raise typer.BadParameter(f"one of {', '.join(vocabulary().purposes)}", param_hint="--purpose")
    window: list[date | None] = []
    for name, value in (("since", since), ("until", until)):
        try:
            window.append(date.fromisoformat(value) if value else None)
        except ValueError as exc:
            raise typer.BadParameter("expected YYYY-MM-DD", param_hint=f"--{name}") from exc
    db = get_database()
    exists, _ = person_agencies(db, person_id)
    who = f"cli:{getpass.getuser()}"
    outcome = "ok" if exists else "not found"
    event = AuditEvent(username=who, roles=["CLI"], action="EXPORT spr viz person", subject=person_id,
                       purpose=purpose, purpose_detail=purpose_detail, outcome=outcome)  # fmt: skip
    append(db, event)
    if not exists:
        err.print(f"[bold red]error:[/bold red] no person {person_id!r}")
        raise typer.Exit(1)
    views = person_views(
        db, person_id, depth=depth, since=window[0], until=window[1], include_sensitive=include_locations
    )
    out.write_text(
        render_export(views.graph, views.timeline, redacted=not include_locations, generated_by=who), encoding="utf-8"
    )
    g = views.graph
    grouped = f"; {g.grouped_items} items drawn as {len(g.groups)} groups" if g.groups else ""
    console.print(f"Wrote {out}: {len(g.nodes)} nodes, {len(g.edges)} links{grouped}; opens with no network.")


# -------------------------------------------------------------------------------------------- alerts
alerts_app = typer.Typer(
    help="Alerts raised when new records arrive: list, acknowledge, close, evaluate.", no_args_is_help=True
)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("list")
def alerts_list(
    agency: Annotated[str | None, typer.Option(help="Only alerts routed to this agency")] = None,
    status: Annotated[str | None, typer.Option(help="OPEN, ACKNOWLEDGED or CLOSED")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind")] = None,
    person: Annotated[str | None, typer.Option("--person", help="Only about this Person id")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first")] = 50,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Alerts, newest first, with the reason and the agencies they are routed to."""
    from queries.alerts import list_alerts
    from spr.db import get_database

    found = list_alerts(
        get_database(), agency=agency, statuses=[status] if status else None, kinds=[kind] if kind else None,
        person_id=person, limit=limit,
    )  # fmt: skip
    if as_json:
        print(json.dumps([a.model_dump(mode="json") for a in found], indent=2))
        return
    rows = [
        {"alert": a.alert_id, "created": a.created_at.strftime("%Y-%m-%d %H:%M:%S"), "kind": a.kind,
         "severity": a.severity, "status": a.status, "person": a.person_id, "routed_to": a.agencies,
         "reason": a.reason}
        for a in found
    ]  # fmt: skip
    _emit(rows, "Alerts", False, as_csv)


def _alert_step(alert_id: str, by: str, note: str, closing: bool) -> None:
    from queries.alerts import AlertError, acknowledge, close_alert
    from spr.db import get_database

    try:
        a = (close_alert if closing else acknowledge)(get_database(), alert_id, by, note)
    except AlertError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"{a.alert_id} is {a.status}.")


@alerts_app.command("ack")
def alerts_ack(
    alert_id: str,
    by: Annotated[str, typer.Option("--by", help="Who acknowledges")],
    note: Annotated[str, typer.Option("--note", help="What is being done")],
) -> None:
    """Acknowledge an open alert, with a note."""
    _alert_step(alert_id, by, note, closing=False)


@alerts_app.command("close")
def alerts_close(
    alert_id: str,
    by: Annotated[str, typer.Option("--by", help="Who closes")],
    note: Annotated[str, typer.Option("--note", help="How it was dealt with")],
) -> None:
    """Close an open or acknowledged alert, with a note."""
    _alert_step(alert_id, by, note, closing=True)


@alerts_app.command("evaluate")
def alerts_evaluate(
    batch: Annotated[str | None, typer.Option("--batch", help="Records of this ingest batch are new")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Records ingested at or after this time are new (ISO 8601)")
    ] = None,
    persons: Annotated[
        list[str] | None, typer.Option("--persons", help="Evaluate these Person ids (default: the batch's people)")
    ] = None,
    as_of: AsOfOpt = None,
    webhook: Annotated[
        bool, typer.Option("--webhook/--no-webhook", help="Post new alerts to SPR_ALERT_WEBHOOK_URL when it is set")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Run the alert rules for the people a batch touched (the trigger stage after a load)."""
    from datetime import datetime

    from queries.alerts import evaluate_alerts, people_in_batch
    from spr.db import get_database

    if batch is None and since is None:
        raise typer.BadParameter("give --batch, --since or both")
    db = get_database()
    try:
        after = datetime.fromisoformat(since) if since else None
    except ValueError as exc:
        raise typer.BadParameter("expected an ISO 8601 time", param_hint="--since") from exc
    people = list(persons or [])
    if not people and batch:
        people = people_in_batch(db, batch)
    if not people:
        err.print("No people to evaluate: give --persons, or a --batch that touched someone.")
        raise typer.Exit(1)
    r = evaluate_alerts(db, people, batch_id=batch, since=after, as_of=_as_of(as_of) if as_of else None)
    if webhook:
        from api.alerts_delivery import deliver, webhook_url

        fresh = [a for a in r.alerts if a.status == "OPEN"]
        if webhook_url() and fresh:
            d = deliver(fresh)
            console.print(f"webhook: {'delivered' if d.delivered else 'NOT delivered'} after {d.attempts} attempt(s)")
    if as_json:
        print(r.model_dump_json(indent=2))
        return
    _emit([{"kind": k, "alerts": n} for k, n in r.by_kind.items()], f"Alerts for {r.people:,} people")
    console.print(f"{r.created} new, {r.unchanged} already raised")


# ------------------------------------------------------------------------------------------- backups
@app.command("backup")
def backup_command(
    out: Annotated[str, typer.Option("--out", help="Backup file to write, or a folder (DIR/) for a dated one")],
) -> None:
    """Back up the local Neo4j with neo4j-admin database dump (the server is stopped for it, then started)."""
    from spr.backup import backup, local_instance

    s = get_settings()
    r = backup(local_instance(s), out, database=s.neo4j_database, log=err.print)
    counts = f"{r.nodes:,} nodes, {r.relationships:,} relationships" if r.nodes is not None else "server was stopped"
    console.print(f"Backed up database '{s.neo4j_database}' ({counts}) to {r.path}", soft_wrap=True)
    console.print(f"{r.bytes:,} bytes in {r.seconds} s; manifest (size, SHA-256, counts): {r.manifest}", soft_wrap=True)
    if r.stopped_and_started:
        console.print("The local Neo4j was stopped for the dump and has been started again.")


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="A backup file written by spr backup")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that holds data")] = False,
) -> None:
    """Replace the local Neo4j database with a backup (neo4j-admin database load; the server is stopped for it)."""
    from spr.backup import local_instance, restore

    s = get_settings()
    r = restore(local_instance(s), file, database=s.neo4j_database, force=force, log=err.print)
    checked = "; counts match the backup's manifest" if r.manifest_checked else ""
    console.print(
        f"Restored database '{s.neo4j_database}' from {r.path}: {r.nodes:,} nodes, {r.relationships:,} relationships"
        f"{checked} ({r.seconds} s)",
        soft_wrap=True,
    )
    if r.stopped_for_load:
        console.print("The local Neo4j was stopped for the load and is running again.")
    else:
        console.print("The local Neo4j has been started with the restored database.")


# ------------------------------------------------------------------------------------------ integrity
@app.command("check")
def check_command(
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON, for scripts")] = False,
    examples: Annotated[int, typer.Option("--examples", min=0, max=100, help="Example ids per check")] = 5,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only this check (repeatable)")] = None,
) -> None:
    """Check the graph's invariants: identities, orphans, flag and alert evidence, schema, audit chain.

    Exit status: 0 every check passed, 1 some check failed, 2 the database could not be checked.
    """
    from queries.integrity import UnknownCheck, check_integrity
    from spr.db import get_database

    try:
        report = check_integrity(get_database(), examples=examples, only=only)
    except UnknownCheck as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from exc
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        table = Table("check", "result", "count", "examples", title=f"Register check of database {report.database}")
        for c in report.checks:
            shown = ", ".join(f"{e.id} ({e.problem})" for e in c.examples)
            more = f" … {c.count - len(c.examples):,} more" if c.count > len(c.examples) and c.examples else ""
            result = "[green]ok[/green]" if c.ok else "[bold red]FAILED[/bold red]"
            table.add_row(c.name, result, f"{c.count:,}", escape(shown) + more)
        console.print(table)
        failed = report.failed
        if failed:
            console.print(f"{len(failed)} of {len(report.checks)} checks FAILED: " + ", ".join(c.name for c in failed))
        else:
            console.print(f"All {len(report.checks)} checks passed.")
    raise typer.Exit(0 if report.ok else 1)


# Commands that read or change the register's graph: they refuse a graph without this code's schema
# (one message, exit 2) instead of answering from an empty or outdated database. The check is made when
# the command first connects, so --help and commands that touch no graph (resolve --evaluate) need none.
GRAPH_COMMANDS = frozenset(
    {"stats", "detect", "nominations", "person", "report", "review", "resolve", "users", "audit", "viz", "alerts"}
)


@app.callback()
def _graph_schema_required(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand in GRAPH_COMMANDS:
        from graph_schema.apply import require_schema
        from spr.db import require_on_connect

        require_on_connect(require_schema)


def main() -> None:
    """Entry point: known failures end with one clear message and a non-zero status, not a traceback."""
    from neo4j.exceptions import ServiceUnavailable, SessionExpired

    from graph_schema.apply import SchemaMismatch
    from spr.db import DatabaseUnavailable
    from spr.localserver import LocalServerError

    # The driver logs connection failures as warnings; the message below says it once, plainly.
    logging.getLogger("neo4j").addHandler(logging.NullHandler())
    try:
        app()
    except (ConfigurationError, DatabaseUnavailable, LocalServerError, SchemaMismatch) as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
        sys.exit(2)
    except (ServiceUnavailable, SessionExpired) as exc:  # lost mid-command, beyond the driver's retries
        err.print(
            f"[bold red]error:[/bold red] lost the connection to Neo4j ({exc.__class__.__name__}: {escape(str(exc))}); "
            "what committed is whole: run the same command again once Neo4j is back (`spr neo4j status`)"
        )
        sys.exit(2)
