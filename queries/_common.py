"""Helpers every query module uses: run a catalog query as a read, convert driver types to Python."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import neo4j.graph
import neo4j.time
import yaml

from graph_schema.model import Definition, vocabulary
from queries.catalog import load
from spr.db import Database


def native(value: Any) -> Any:
    """Driver temporal values (neo4j.time.Date, DateTime) as Python ones, recursively."""
    if isinstance(value, neo4j.time.Date | neo4j.time.DateTime | neo4j.time.Time):
        return value.to_native()
    if isinstance(value, neo4j.time.Duration):
        return value
    if isinstance(value, dict):
        return {k: native(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [native(v) for v in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})
_TEMPORAL = frozenset({neo4j.time.Date, neo4j.time.DateTime, neo4j.time.Time})
_GRAPH = (neo4j.graph.Node, neo4j.graph.Relationship, neo4j.graph.Path)


class _GraphValue(Exception):
    """A node, relationship or path in a row: the driver's own conversion (Record.data) handles those."""


def _plain(value: Any) -> Any:
    # native() for what queries return (maps, lists, text, numbers, dates), by exact type: a row is walked
    # once, without the driver's Record.data() pass and its abstract-class checks on every value.
    t = type(value)
    if t in _PLAIN:
        return value
    if t is list:
        return [_plain(v) for v in value]
    if t is dict:
        return {k: _plain(v) for k, v in value.items()}
    if t in _TEMPORAL:
        return value.to_native()
    if isinstance(value, _GRAPH):
        raise _GraphValue
    return native(value)


def rows(records: Iterable[neo4j.Record]) -> list[dict[str, Any]]:
    """Records as dicts with Python dates: the same as ``native(record.data())``, in one pass."""
    out = []
    for record in records:
        try:
            out.append({k: _plain(v) for k, v in zip(record.keys(), record.values(), strict=True)})
        except _GraphValue:
            out.append(native(record.data()))
    return out


def day(value: date | str) -> date:
    """A date from a query that returns dates as ISO text (``toString(d)``), or one already a date. The
    driver makes a date value some fifty times slower than ``date.fromisoformat`` reads the text, so the
    queries that return millions of dates in a sweep return text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def read(db: Database, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run a catalog query in a read transaction; rows come back with Python dates.

    Within ``shared_answers``, a per-person query asked again with the same parameters is run only for the
    people not asked before."""
    memo = _memo.get()
    if memo is not None and name in PER_PERSON_QUERIES and isinstance(params.get("person_ids"), list):
        return _read_per_person(memo, db, name, params)
    return rows(db.read_records(load(name), **params))


# Catalog queries that take $person_ids and answer each person on their own (rows keyed by person_id,
# ordered by it): a person's rows are the same whichever other people are asked with them.
PER_PERSON_QUERIES = frozenset(
    {"find_serial_campaign", "find_serial_matac", "find_incident_timelines", "find_rfgv_inputs"}
)
_Memo = dict[tuple[str, str], tuple[set[str], dict[str, list[dict[str, Any]]], threading.Lock]]
_memo: ContextVar[_Memo | None] = ContextVar("spr_shared_answers", default=None)


@contextmanager
def shared_answers() -> Iterator[None]:
    """Within the block (and threads started with a copy of its context), the per-person queries
    (``PER_PERSON_QUERIES``) remember their answers: the after-batch stage asks the serial definitions,
    the incident timelines and the RFGV inputs for its people once, though both its alert rules and its
    flags use them. Only for a block in which the graph those queries read does not change (alerts, flags
    and scores are not among what they read); the rows are shared, so callers must not change them."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _read_per_person(memo: _Memo, db: Database, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    people = sorted(set(params["person_ids"]))
    rest = json.dumps({k: v for k, v in params.items() if k != "person_ids"}, sort_keys=True, default=str)
    asked, answers, lock = memo.setdefault((name, rest), (set(), {}, threading.Lock()))
    with lock:  # threads asking the same question (ask_together) ask the server once
        missing = [p for p in people if p not in asked]
        if missing:
            for row in rows(db.read_records(load(name), **{**params, "person_ids": missing})):
                answers.setdefault(row["person_id"], []).append(row)
            asked.update(missing)
    return [row for p in people for row in answers.get(p, ())]


# Up to this many people, the after-batch stage asks its independent questions at once (``ask_together``: a
# batch's people, a few hundred to a few thousand); beyond it, one after the other, so that a sweep over many
# people holds one large query at a time on the server.
ASK_TOGETHER_MAX = 20_000


def ask_together(work: dict[str, Callable[[], Any]], *, together: bool = True) -> dict[str, Any]:
    """Each callable's result by name: run in threads at once when ``together``, else in order. The driver is
    thread-safe and each read is its own transaction, so the server answers them on its cores while this
    process converts the rows that have come back; the first failure is raised."""
    if not together or len(work) < 2:
        return {name: call() for name, call in work.items()}
    with ThreadPoolExecutor(max_workers=len(work), thread_name_prefix="spr-ask") as pool:
        # Each in a copy of this context: the stage's shared answers (shared_answers) reach it.
        futures = {name: pool.submit(copy_context().run, call) for name, call in work.items()}
        return {name: f.result() for name, f in futures.items()}


def write(db: Database, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run a catalog query in one managed write transaction."""
    return rows(db.write_records(load(name), **params))


def definition(code: str) -> Definition:
    return vocabulary().definition(code)


@cache
def definitions_version() -> int:
    """The version of definitions.yaml; every flag records it beside the definition's code."""
    text = resources.files("graph_schema").joinpath("vocabulary", "definitions.yaml").read_text(encoding="utf-8")
    return int(yaml.safe_load(text)["version"])


def today() -> date:
    return date.today()


def da_offence_codes() -> list[str]:
    """Offence codes in the vocabulary: every one is domestic-abuse or stalking related."""
    return sorted(vocabulary().offences)


def gravity_table() -> dict[str, int]:
    return {code: o.gravity for code, o in vocabulary().offences.items()}


def chunks(rows: list[Any], size: int) -> list[list[Any]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


# A question about everyone runs as one query up to this many Persons; beyond it, in parts of this many
# people (index seeks on Person.person_id), so that no one transaction holds the whole register: at
# national scale (4.7 million Persons) a single query for everyone outgrows the server's transaction
# memory (dbms.memory.transaction.total.max).
PARTITION = 250_000


def person_partitions(db: Database, person_ids: list[str] | None, size: int | None = None) -> list[list[str] | None]:
    """The scopes a question about ``person_ids`` runs in: the ids given as they are; for everyone (None),
    ``[None]`` on a register of at most ``size`` Persons, else every Person id in parts of ``size``."""
    size = size or PARTITION
    if person_ids is not None:
        return [person_ids]
    if int(read(db, "count_persons")[0]["n"]) <= size:
        return [None]
    parts: list[list[str] | None] = []
    after = ""
    while True:
        page = [str(x) for x in read(db, "find_person_ids_page", after=after, limit=size)[0]["person_ids"]]
        if not page:
            return parts
        parts.append(page)
        after = page[-1]
