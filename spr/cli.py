"""`spr`: the Serial Perpetrator Register's command line. Thin: each command calls a library function."""

from __future__ import annotations

import json
import sys
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
